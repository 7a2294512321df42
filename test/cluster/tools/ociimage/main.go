// Command ociimage packs a root filesystem folder into a one-layer OCI image archive that
// `ctr images import` loads: the cluster's images are built here without a registry or a
// base image.
//
//	ociimage -rootfs DIR -ref clusterbench/hello:TAG -user 65532 -entrypoint '["/hello"]' -o hello.tar
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// epoch stamps every file, so the same folder always gives the same image digest.
var epoch = time.Unix(946684800, 0).UTC()

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// imageConfig holds the fields of the OCI image configuration that a container runtime reads.
type imageConfig struct {
	User         string              `json:"User,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
}

func main() {
	var (
		rootfs     = flag.String("rootfs", "", "folder that becomes the image's root filesystem")
		ref        = flag.String("ref", "", "image reference, e.g. clusterbench/hello:1a2b3c")
		out        = flag.String("o", "", "output OCI archive (.tar)")
		user       = flag.String("user", "65532", "user (numeric, so runAsNonRoot can check it)")
		workdir    = flag.String("workdir", "/", "working directory")
		entrypoint = flag.String("entrypoint", "", `entrypoint as a JSON array, e.g. ["/hello"]`)
		cmd        = flag.String("cmd", "", "command as a JSON array (optional)")
		env        stringList
		ports      stringList
	)
	flag.Var(&env, "env", "KEY=VALUE (repeatable)")
	flag.Var(&ports, "port", "exposed port, e.g. 8080/tcp (repeatable)")
	flag.Parse()
	if *rootfs == "" || *ref == "" || *out == "" || *entrypoint == "" {
		fmt.Fprintln(os.Stderr, "ociimage: -rootfs, -ref, -o and -entrypoint are required")
		os.Exit(2)
	}
	cfg := imageConfig{User: *user, Env: env, WorkingDir: *workdir}
	if err := json.Unmarshal([]byte(*entrypoint), &cfg.Entrypoint); err != nil {
		fmt.Fprintf(os.Stderr, "ociimage: -entrypoint %q is not a JSON array of strings\n", *entrypoint)
		os.Exit(2)
	}
	if *cmd != "" {
		if err := json.Unmarshal([]byte(*cmd), &cfg.Cmd); err != nil {
			fmt.Fprintf(os.Stderr, "ociimage: -cmd %q is not a JSON array of strings\n", *cmd)
			os.Exit(2)
		}
	}
	if len(ports) > 0 {
		cfg.ExposedPorts = map[string]struct{}{}
		for _, p := range ports {
			cfg.ExposedPorts[p] = struct{}{}
		}
	}
	if err := build(*rootfs, normalizeRef(*ref), cfg, *out); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
}

// normalizeRef spells a reference the way containerd's CRI plugin looks it up:
// "clusterbench/hello:x" is stored as "docker.io/clusterbench/hello:x".
func normalizeRef(ref string) string {
	first, _, hasSlash := strings.Cut(ref, "/")
	if !hasSlash {
		return "docker.io/library/" + ref
	}
	if strings.ContainsAny(first, ".:") || first == "localhost" {
		return ref
	}
	return "docker.io/" + ref
}

func build(rootfs, ref string, cfg imageConfig, out string) error {
	layer, err := layerTar(rootfs)
	if err != nil {
		return err
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config":       cfg,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{digest(layer)}},
	})
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptorOf("application/vnd.oci.image.config.v1+json", config, nil),
		"layers":        []descriptor{descriptorOf("application/vnd.oci.image.layer.v1.tar", layer, nil)},
	})
	if err != nil {
		return err
	}
	tag := ref[strings.LastIndex(ref, ":")+1:]
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []descriptor{descriptorOf("application/vnd.oci.image.manifest.v1+json", manifest, map[string]string{
			"io.containerd.image.name":          ref,
			"org.opencontainers.image.ref.name": tag,
		})},
	})
	if err != nil {
		return err
	}

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	entries := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", index},
		{blobPath(manifest), manifest},
		{blobPath(config), config},
		{blobPath(layer), layer},
	}
	err = writeDir(tw, "blobs/")
	if err == nil {
		err = writeDir(tw, "blobs/sha256/")
	}
	for _, e := range entries {
		if err == nil {
			err = writeFile(tw, e.name, 0o644, e.data)
		}
	}
	err = errors.Join(err, tw.Close(), f.Close())
	if err != nil {
		os.Remove(out)
	}
	return err
}

// layerTar packs rootfs into an uncompressed tar, every entry owned by root, with fixed times.
func layerTar(rootfs string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(rootfs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == rootfs {
			return err
		}
		rel, err := filepath.Rel(rootfs, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = epoch, time.Time{}, time.Time{}
		hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeDir(tw *tar.Writer, name string) error {
	return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: epoch})
}

func writeFile(tw *tar.Writer, name string, mode int64, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func blobPath(b []byte) string { return "blobs/sha256/" + strings.TrimPrefix(digest(b), "sha256:") }

func descriptorOf(mediaType string, b []byte, annotations map[string]string) descriptor {
	return descriptor{MediaType: mediaType, Digest: digest(b), Size: int64(len(b)), Annotations: annotations}
}
