// Package metrics writes the Prometheus text exposition format (version 0.0.4) by hand: the two
// servers export a handful of counters and gauges, which does not warrant a client library.
package metrics

import (
	"bufio"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Writer accumulates one exposition.
type Writer struct{ w *bufio.Writer }

// Family writes the HELP and TYPE lines of a metric family; typ is "counter" or "gauge".
func (m Writer) Family(name, typ, help string) {
	m.w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

// Sample writes one sample. labels alternate names and values: "backend", "10.0.0.1:9090".
func (m Writer) Sample(name string, value float64, labels ...string) {
	m.w.WriteString(name)
	if len(labels) > 0 {
		m.w.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				m.w.WriteByte(',')
			}
			m.w.WriteString(labels[i] + `="` + labelEscaper.Replace(labels[i+1]) + `"`)
		}
		m.w.WriteByte('}')
	}
	m.w.WriteByte(' ')
	m.w.WriteString(strconv.FormatFloat(value, 'g', -1, 64))
	m.w.WriteByte('\n')
}

// Counter writes a whole unlabelled counter family.
func (m Writer) Counter(name, help string, value uint64) {
	m.Family(name, "counter", help)
	m.Sample(name, float64(value))
}

// Gauge writes a whole unlabelled gauge family.
func (m Writer) Gauge(name, help string, value float64) {
	m.Family(name, "gauge", help)
	m.Sample(name, value)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

var startTime = time.Now()

// Handler serves the metrics that write produces, plus the process's goroutines and start time.
func Handler(write func(Writer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m := Writer{bufio.NewWriter(w)}
		write(m)
		m.Gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
		m.Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
			float64(startTime.UnixNano())/1e9)
		m.w.Flush()
	})
}
