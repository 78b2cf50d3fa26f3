package meter

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// wat assembles a test module with wat2wasm (Debian's wabt package).
func wat(t *testing.T, name string) []byte {
	t.Helper()
	tool, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Fatalf("wat2wasm is not on the PATH: install it with `apt-get install -y wabt`")
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.Command(tool, filepath.Join("testdata", name+".wat"), "-o", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("wat2wasm %s: %v\n%s", name, err, stderr.Bytes())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run instantiates shapes.wat, metered or not, and calls its exports.
func run(t *testing.T, wasm []byte, yields *int) (sum, countdown uint64) {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if _, err := rt.InstantiateWithConfig(ctx, wat(t, "env"), wazero.NewModuleConfig().WithName("env")); err != nil {
		t.Fatal(err)
	}
	_, err := rt.NewHostModuleBuilder("meter").NewFunctionBuilder().
		WithGoFunction(api.GoFunc(func(_ context.Context, stack []uint64) {
			*yields++
			stack[0] = 3
		}), nil, []api.ValueType{api.ValueTypeI32}).
		Export("yield").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	r, err := mod.ExportedFunction("run").Call(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mod.ExportedFunction("countdown").Call(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	return r[0], c[0]
}

// A metered module computes what the original does, and calls the host
// once per budget of function entries and loop iterations.
func TestInstrument(t *testing.T) {
	orig := wat(t, "shapes")
	metered, err := Instrument(orig, "meter", "yield", 3)
	if err != nil {
		t.Fatal(err)
	}
	var noYields, yields int
	sum, count := run(t, orig, &noYields)
	if sum != 4950+7+8+9+8+42+1+1000 || count != 100 {
		t.Fatalf("the original: run = %d, countdown = %d", sum, count)
	}
	msum, mcount := run(t, metered, &yields)
	if msum != sum || mcount != count {
		t.Errorf("metered: run = %d, countdown = %d; want %d, %d", msum, mcount, sum, count)
	}
	// 100 + 50 loop iterations and some 10 function entries, one yield
	// per 3 checks.
	if yields < 150/3 || yields > 200/3 {
		t.Errorf("%d yields, want about 55", yields)
	}
	if noYields != 0 {
		t.Errorf("the original yielded")
	}
	// Rewriting is deterministic, and a module that imports the yield
	// function already is refused.
	again, _ := Instrument(orig, "meter", "yield", 3)
	if !bytes.Equal(again, metered) {
		t.Error("two rewrites differ")
	}
	if _, err := Instrument(metered, "meter", "yield", 3); err == nil {
		t.Error("a metered module was metered again")
	}
}

// Modules without the sections the rewrite adds to get them, in order.
func TestInstrumentMinimal(t *testing.T) {
	ctx := context.Background()
	for _, wasm := range [][]byte{
		[]byte("\x00asm\x01\x00\x00\x00"), // empty
		// a memory only
		[]byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01"),
	} {
		m, err := Instrument(wasm, "meter", "yield", 1)
		if err != nil {
			t.Fatal(err)
		}
		rt := wazero.NewRuntime(ctx)
		if _, err := rt.CompileModule(ctx, m); err != nil {
			t.Errorf("%q: %v", m, err)
		}
		rt.Close(ctx)
	}
}

// Garbage is refused, never a panic.
func FuzzInstrument(f *testing.F) {
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Instrument(b, "meter", "yield", 1)
	})
}
