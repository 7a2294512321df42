package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalizeRef(t *testing.T) {
	tests := []struct{ in, want string }{
		{"clusterbench/hello:h1", "docker.io/clusterbench/hello:h1"},
		{"nginx:1.22.1", "docker.io/library/nginx:1.22.1"},
		{"clusterbench.local/pause:1", "clusterbench.local/pause:1"},
		{"localhost/x:1", "localhost/x:1"},
		{"localhost:5000/x:1", "localhost:5000/x:1"},
		{"registry.k8s.io/ingress-nginx/controller:v1", "registry.k8s.io/ingress-nginx/controller:v1"},
	}
	for _, tt := range tests {
		if got := normalizeRef(tt.in); got != tt.want {
			t.Errorf("normalizeRef(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// readArchive returns the files of an OCI archive by name.
func readArchive(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = b
	}
}

func blob(t *testing.T, files map[string][]byte, d descriptor) []byte {
	t.Helper()
	b, ok := files["blobs/sha256/"+strings.TrimPrefix(d.Digest, "sha256:")]
	if !ok {
		t.Fatalf("blob %s missing", d.Digest)
	}
	if digest(b) != d.Digest || int64(len(b)) != d.Size {
		t.Fatalf("blob %s: content has digest %s, size %d (descriptor says %d)", d.Digest, digest(b), len(b), d.Size)
	}
	return b
}

func TestBuildWritesAnImportableArchive(t *testing.T) {
	rootfs := t.TempDir()
	if err := os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "hello"), []byte("#!binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "etc", "passwd"), []byte("nonroot:x:65532:65532::/:/sbin/nologin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("hello", filepath.Join(rootfs, "hi")); err != nil {
		t.Fatal(err)
	}
	cfg := imageConfig{User: "65532", Entrypoint: []string{"/hello"}, WorkingDir: "/"}
	out := filepath.Join(t.TempDir(), "a.tar")
	if err := build(rootfs, "docker.io/clusterbench/hello:h1", cfg, out); err != nil {
		t.Fatal(err)
	}
	files := readArchive(t, out)

	var index struct{ Manifests []descriptor }
	if err := json.Unmarshal(files["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %v, %s", err, files["index.json"])
	}
	if got := index.Manifests[0].Annotations["io.containerd.image.name"]; got != "docker.io/clusterbench/hello:h1" {
		t.Errorf("image name annotation = %q", got)
	}
	var manifest struct {
		Config descriptor
		Layers []descriptor
	}
	if err := json.Unmarshal(blob(t, files, index.Manifests[0]), &manifest); err != nil || len(manifest.Layers) != 1 {
		t.Fatalf("manifest: %v", err)
	}
	var config struct {
		Config imageConfig
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(blob(t, files, manifest.Config), &config); err != nil {
		t.Fatal(err)
	}
	if config.Config.User != "65532" || config.Config.Entrypoint[0] != "/hello" {
		t.Errorf("config = %+v", config.Config)
	}
	layer := blob(t, files, manifest.Layers[0])
	if len(config.RootFS.DiffIDs) != 1 || config.RootFS.DiffIDs[0] != manifest.Layers[0].Digest {
		t.Errorf("diff_ids %v do not name the uncompressed layer %s", config.RootFS.DiffIDs, manifest.Layers[0].Digest)
	}

	entries := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[hdr.Name] = hdr
	}
	for _, name := range []string{"etc/", "etc/passwd", "hello", "hi"} {
		hdr, ok := entries[name]
		if !ok {
			t.Errorf("layer lacks %s (has %v)", name, entries)
			continue
		}
		if hdr.Uid != 0 || hdr.Gid != 0 || !hdr.ModTime.Equal(epoch) {
			t.Errorf("%s: owner %d:%d, time %v; want root and %v", name, hdr.Uid, hdr.Gid, hdr.ModTime, epoch)
		}
	}
	if entries["hello"].Mode&0o111 == 0 {
		t.Errorf("hello lost its execute bits: %o", entries["hello"].Mode)
	}
	if entries["hi"].Typeflag != tar.TypeSymlink || entries["hi"].Linkname != "hello" {
		t.Errorf("hi is not the symlink to hello: %+v", entries["hi"])
	}

	// Same folder, same bytes: the image digest depends on content only.
	again := filepath.Join(t.TempDir(), "b.tar")
	if err := build(rootfs, "docker.io/clusterbench/hello:h1", cfg, again); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("two builds of the same folder differ")
	}
}

func TestBuildFailsWithoutLeavingAnArchive(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a.tar")
	if err := build(filepath.Join(t.TempDir(), "missing"), "docker.io/x/y:1", imageConfig{}, out); err == nil {
		t.Fatal("build of a missing folder succeeded")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("archive left behind: %v", err)
	}
}
