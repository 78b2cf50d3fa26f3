package wasmhost

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicegw/sluice/scripting"
)

// Two engines sharing a cache directory, as two runs of the gateway do: the
// second loads the machine code the first compiled instead of compiling
// the module again.
func TestCompilationCacheDir(t *testing.T) {
	wasm := bigModule(t, 6000)
	dir := filepath.Join(t.TempDir(), "cache")
	compileWith := func() time.Duration {
		e, err := NewEngine(Options{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		start := time.Now()
		p, err := e.Compile("big.wasm", wasm, scripting.Limits{}, nil)
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
		return took
	}
	cold := compileWith()
	var files int
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Size() > 0 {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Fatalf("the cache directory %s holds no entry after a compile", dir)
	}
	warm := compileWith()
	t.Logf("compile: %v cold, %v from the cache directory (%d files)", cold, warm, files)
	if warm >= cold {
		t.Errorf("compiling from the cache took %v, not less than %v cold", warm, cold)
	}
}

// bigModule is a plugin with n functions besides the ABI's, enough machine
// code to take a measurable time to compile (a Go guest would do, but
// takes seconds, and many more under the race detector).
func bigModule(t *testing.T, n int) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString(`(module
  (memory (export "memory") 1)
  (func (export "sluice_abi_version") (result i32) (i32.const 1))
  (func (export "sluice_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "route") (param i32 i32) (result i64) (i64.const 0))
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `  (func $f%d (export "f%d") (param $x i64) (result i64)
    (local $y i64)
    (local.set $y (i64.mul (local.get $x) (i64.const %d)))
    (if (i64.gt_s (local.get $y) (i64.const 1000))
      (then (local.set $y (i64.rem_s (local.get $y) (i64.const 997)))))
    (i64.add (i64.xor (local.get $y) (i64.const %d)) (i64.shr_u (local.get $x) (i64.const 3))))
`, i, i, i+1, i*7)
	}
	b.WriteString(")\n")
	path := filepath.Join(t.TempDir(), "big.wat")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return wat(t, path)
}

func TestCacheDirUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEngine(Options{CacheDir: file}); err == nil {
		t.Fatal("a cache directory that is a file was accepted")
	}
}
