// Package meter rewrites a WebAssembly module so that a long computation
// in it calls the host now and then, where the host can stop it: the
// termination check wazero's WithCloseOnContextDone compiles in, made
// cheap.
//
// wazero's check leaves the machine code for Go at every loop header.
// Go's WebAssembly code branches through a loop header at every taken jump
// (its functions are one loop around a br_table), so a Go guest pays that
// exit, some tens of nanoseconds, thousands of times per call. Instrument
// instead adds a counter (a mutable global) that every function entry and
// every loop header decrements in place, a few instructions; when it
// reaches zero the code calls an imported host function, which decides
// whether the call goes on (it returns the next budget) or is stopped (it
// traps). Every unbounded execution passes through a loop header or a
// function entry (straight-line code is bounded by its size), so a call
// cannot run for more than one budget without meeting the host.
//
// The rewrite adds one type, one function import (appended to the imports,
// which shifts the indices of the module's own functions by one: every
// call, ref.func, export, element and start index is renumbered), and one
// global. It decodes every instruction, and refuses what it does not know
// (an error; the legacy exception-handling instructions among them): the
// caller then falls back to wazero's own checks.
package meter

import (
	"errors"
	"fmt"
)

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// Instrument returns module with the checks added: module.name, an
// imported function of type () -> i32, is called when the counter runs
// out, and its result is the next budget (it traps to stop the call). The
// counter starts at budget. The input is not modified.
func Instrument(wasm []byte, module, name string, budget int32) ([]byte, error) {
	if budget <= 0 {
		return nil, errors.New("meter: the budget must be positive")
	}
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || string(wasm[4:8]) != "\x01\x00\x00\x00" {
		return nil, errors.New("meter: not a WebAssembly 1.0 binary")
	}
	type section struct {
		id   byte
		body []byte
	}
	var sections []section
	r := &reader{b: wasm, i: 8}
	for r.i < len(r.b) {
		id := r.byte()
		size := r.u32()
		body := r.bytes(int(size))
		if r.err != nil {
			return nil, r.err
		}
		sections = append(sections, section{id, body})
	}

	// The counts the rewrite needs: types, imported functions and globals,
	// defined globals.
	var numTypes, funcImports, globalImports, globals uint32
	for _, s := range sections {
		sr := &reader{b: s.body}
		switch s.id {
		case secType:
			numTypes = sr.u32()
		case secImport:
			n := sr.count()
			for range n {
				mod, field := sr.name(), sr.name()
				if mod == module && field == name {
					return nil, fmt.Errorf("meter: the module already imports %s.%s", module, name)
				}
				switch kind := sr.byte(); kind {
				case 0x00: // func
					sr.u32()
					funcImports++
				case 0x01: // table
					sr.valType()
					sr.limits()
				case 0x02: // memory
					sr.limits()
				case 0x03: // global
					sr.valType()
					sr.byte()
					globalImports++
				case 0x04: // tag
					sr.byte()
					sr.u32()
				default:
					return nil, fmt.Errorf("meter: unknown import kind %#x", kind)
				}
			}
		case secGlobal:
			globals = sr.u32()
		}
		if sr.err != nil {
			return nil, sr.err
		}
	}
	rw := rewriter{
		yield:   funcImports,
		counter: globalImports + globals,
		budget:  budget,
	}

	out := append(make([]byte, 0, len(wasm)+len(wasm)/8+64), wasm[:8]...)
	emit := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	hasType, hasImport, hasGlobal := false, false, false
	// addSections adds the sections the rewrite needs that the module does
	// not have, in their place before a section with the id next.
	addSections := func(next byte) {
		if next == secCustom {
			return
		}
		if !hasType && next != secType {
			emit(secType, appendType(appendU32(nil, 1)))
			numTypes, hasType = 1, true
		}
		if !hasImport && next != secType && next != secImport {
			emit(secImport, rw.appendImport(appendU32(nil, 1), module, name, numTypes-1))
			hasImport = true
		}
		// The global section comes after the memory and tag sections.
		if !hasGlobal && next >= secExport && next <= secDataCount {
			emit(secGlobal, rw.appendGlobal(appendU32(nil, 1)))
			hasGlobal = true
		}
	}
	for _, s := range sections {
		addSections(s.id)
		body, err := rw.section(s.id, s.body, &numTypes, module, name)
		if err != nil {
			return nil, err
		}
		switch s.id {
		case secType:
			hasType = true
		case secImport:
			hasImport = true
		case secGlobal:
			hasGlobal = true
		}
		if body != nil {
			emit(s.id, body)
		}
	}
	addSections(secDataCount)
	return out, nil
}

// appendType appends the yield function's type, () -> i32.
func appendType(b []byte) []byte { return append(b, 0x60, 0x00, 0x01, 0x7f) }

type rewriter struct {
	yield   uint32 // the index of the imported yield function
	counter uint32 // the index of the counter global
	budget  int32
}

func (rw *rewriter) appendImport(b []byte, module, name string, typeIdx uint32) []byte {
	b = appendName(b, module)
	b = appendName(b, name)
	b = append(b, 0x00)
	return appendU32(b, typeIdx)
}

func (rw *rewriter) appendGlobal(b []byte) []byte {
	b = append(b, 0x7f, 0x01, 0x41) // mutable i32, i32.const
	b = appendS64(b, int64(rw.budget))
	return append(b, 0x0b)
}

// fn renumbers a function index: the module's own functions move up by
// one, past the new import.
func (rw *rewriter) fn(i uint32) uint32 {
	if i >= rw.yield {
		return i + 1
	}
	return i
}

// appendCheck appends the check: count down, and call the host when the
// counter is zero.
//
//	global.get $c; i32.eqz; if; call $yield; global.set $c; end
//	global.get $c; i32.const 1; i32.sub; global.set $c
func (rw *rewriter) appendCheck(b []byte) []byte {
	b = append(b, 0x23)
	b = appendU32(b, rw.counter)
	b = append(b, 0x45, 0x04, 0x40, 0x10)
	b = appendU32(b, rw.yield)
	b = append(b, 0x24)
	b = appendU32(b, rw.counter)
	b = append(b, 0x0b, 0x23)
	b = appendU32(b, rw.counter)
	b = append(b, 0x41, 0x01, 0x6b, 0x24)
	return appendU32(b, rw.counter)
}

// section returns a section rewritten (nil: dropped).
func (rw *rewriter) section(id byte, body []byte, numTypes *uint32, module, name string) ([]byte, error) {
	r := &reader{b: body}
	var out []byte
	switch id {
	case secCustom:
		return rw.custom(body)
	case secType:
		n := r.count()
		out = appendU32(nil, n+1)
		out = appendType(append(out, body[r.i:]...))
		r.i = len(body)
		// The new type is the last: its index is n.
		*numTypes = n + 1
	case secImport:
		n := r.count()
		out = appendU32(nil, n+1)
		out = append(out, body[r.i:]...)
		r.i = len(body)
		out = rw.appendImport(out, module, name, *numTypes-1)
	case secGlobal:
		n := r.count()
		out = appendU32(nil, n+1)
		for range n {
			start := r.i
			r.valType()
			r.byte()
			out = append(out, body[start:r.i]...)
			out = rw.expr(r, out, false)
		}
		out = rw.appendGlobal(out)
	case secExport:
		n := r.count()
		out = appendU32(nil, n)
		for range n {
			out = appendName(out, r.name())
			kind := r.byte()
			idx := r.u32()
			if kind == 0x00 {
				idx = rw.fn(idx)
			}
			out = appendU32(append(out, kind), idx)
		}
	case secStart:
		out = appendU32(nil, rw.fn(r.u32()))
	case secElement:
		out = rw.elements(r)
	case secCode:
		n := r.count()
		out = appendU32(make([]byte, 0, len(body)+len(body)/4), n)
		var fb []byte
		for range n {
			size := r.u32()
			fr := &reader{b: r.bytes(int(size))}
			if r.err != nil {
				break
			}
			fb = rw.function(fr, fb[:0])
			if fr.err != nil {
				return nil, fr.err
			}
			out = appendU32(out, uint32(len(fb)))
			out = append(out, fb...)
		}
	case secData:
		n := r.count()
		out = appendU32(nil, n)
		for range n {
			flags := r.u32()
			out = appendU32(out, flags)
			switch flags {
			case 0:
				out = rw.expr(r, out, false)
			case 1:
			case 2:
				out = appendU32(out, r.u32())
				out = rw.expr(r, out, false)
			default:
				return nil, fmt.Errorf("meter: unknown data segment flags %d", flags)
			}
			size := r.u32()
			out = append(appendU32(out, size), r.bytes(int(size))...)
		}
	default:
		return body, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.i != len(r.b) {
		return nil, fmt.Errorf("meter: section %d has %d bytes past its end", id, len(r.b)-r.i)
	}
	return out, nil
}

// custom keeps custom sections, but renumbers the function names of the
// "name" section (its local names too; other subsections are dropped) and
// drops DWARF (".debug_*"), whose code offsets the rewrite moves.
func (rw *rewriter) custom(body []byte) ([]byte, error) {
	r := &reader{b: body}
	name := r.name()
	if r.err != nil {
		return nil, r.err
	}
	switch {
	case len(name) >= 7 && name[:7] == ".debug_":
		return nil, nil
	case name != "name":
		return body, nil
	}
	out := appendName(nil, name)
	for r.i < len(r.b) && r.err == nil {
		id := r.byte()
		sub := &reader{b: r.bytes(int(r.u32()))}
		var sb []byte
		switch id {
		case 0: // module name
			sb = sub.b
		case 1: // function names: a name map
			n := sub.count()
			sb = appendU32(nil, n)
			for range n {
				sb = appendU32(sb, rw.fn(sub.u32()))
				sb = appendName(sb, sub.name())
			}
		case 2: // local names: an indirect name map
			n := sub.count()
			sb = appendU32(nil, n)
			for range n {
				sb = appendU32(sb, rw.fn(sub.u32()))
				m := sub.count()
				sb = appendU32(sb, m)
				for range m {
					sb = appendU32(sb, sub.u32())
					sb = appendName(sb, sub.name())
				}
			}
		default:
			continue
		}
		if sub.err != nil {
			// A malformed name section is dropped: names are not needed.
			return nil, nil
		}
		out = append(out, id)
		out = appendU32(out, uint32(len(sb)))
		out = append(out, sb...)
	}
	if r.err != nil {
		return nil, nil
	}
	return out, nil
}

func (rw *rewriter) elements(r *reader) []byte {
	n := r.count()
	out := appendU32(nil, n)
	for range n {
		flags := r.u32()
		out = appendU32(out, flags)
		if flags > 7 {
			r.fail(fmt.Sprintf("unknown element segment flags %d", flags))
			return nil
		}
		// flags: bit 0 passive or declarative, bit 1 an explicit table
		// index (when active) or declarative, bit 2 expressions instead of
		// function indices.
		if flags&3 == 2 {
			out = appendU32(out, r.u32())
		}
		if flags&1 == 0 {
			out = rw.expr(r, out, false)
		}
		if flags&3 != 0 { // an element kind, or a reference type
			start := r.i
			r.valType()
			out = append(out, r.b[start:r.i]...)
		}
		m := r.count()
		out = appendU32(out, m)
		for range m {
			if flags&4 == 0 {
				out = appendU32(out, rw.fn(r.u32()))
			} else {
				out = rw.expr(r, out, false)
			}
		}
		if r.err != nil {
			return nil
		}
	}
	return out
}

// function rewrites one function body: its locals as they are, a check at
// its entry, and its instructions.
func (rw *rewriter) function(r *reader, out []byte) []byte {
	start := r.i
	n := r.count()
	for range n {
		r.u32()
		r.valType()
	}
	out = append(out, r.b[start:r.i]...)
	out = rw.appendCheck(out)
	return rw.expr(r, out, true)
}

// expr copies instructions up to the end that closes the expression,
// renumbering function indices and, in code, adding a check after the
// block type of each loop.
func (rw *rewriter) expr(r *reader, out []byte, code bool) []byte {
	depth := 0
	for r.err == nil {
		if r.i >= len(r.b) {
			r.fail("an expression has no end")
			break
		}
		op := r.b[r.i]
		start := r.i
		r.i++
		switch {
		case op == 0x0b: // end
			out = append(out, op)
			if depth == 0 {
				return out
			}
			depth--
			continue
		case op == 0x10 || op == 0x12 || op == 0xd2: // call, return_call, ref.func
			idx := r.u32()
			out = appendU32(append(out, op), rw.fn(idx))
			continue
		case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
			r.blockType()
			depth++
			out = append(out, r.b[start:r.i]...)
			if op == 0x03 && code {
				out = rw.appendCheck(out)
			}
			continue
		case op == 0x1f: // try_table
			r.blockType()
			for range r.count() {
				switch kind := r.byte(); kind {
				case 0x00, 0x01:
					r.u32()
					r.u32()
				case 0x02, 0x03:
					r.u32()
				default:
					r.fail(fmt.Sprintf("unknown catch kind %#x", kind))
				}
			}
			depth++
		default:
			r.immediates(op)
		}
		out = append(out, r.b[start:r.i]...)
	}
	return out
}

// immediates skips the immediates of an instruction that the rewrite
// copies as it is.
func (r *reader) immediates(op byte) {
	switch {
	case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0a || op == 0x0f ||
		op == 0x1a || op == 0x1b || op == 0xd1 || op == 0xd3 || op == 0xd5:
		// unreachable, nop, else, throw_ref, return, drop, select,
		// ref.is_null, ref.as_non_null, ref.eq
	case op == 0x08 || op == 0x0c || op == 0x0d || op == 0x14 || op == 0x15 || op == 0xd4 || op == 0xd6:
		// throw, br, br_if, call_ref, return_call_ref, br_on_null,
		// br_on_non_null: one index
		r.u32()
	case op == 0x0e: // br_table
		for range r.count() {
			r.u32()
		}
		r.u32()
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		r.u32()
		r.u32()
	case op == 0x1c: // select t*
		for range r.count() {
			r.valType()
		}
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores
		r.memarg()
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		r.u32()
	case op == 0x41 || op == 0x42: // i32.const, i64.const
		r.leb()
	case op == 0x43:
		r.bytes(4)
	case op == 0x44:
		r.bytes(8)
	case op >= 0x45 && op <= 0xc4: // numeric
	case op == 0xd0: // ref.null
		r.valType()
	case op == 0xfc:
		switch sub := r.u32(); {
		case sub <= 7: // trunc_sat
		case sub == 8 || sub == 10 || sub == 12 || sub == 14: // memory.init, memory.copy, table.init, table.copy
			r.u32()
			r.u32()
		case sub == 9 || sub == 11 || sub == 13 || (sub >= 15 && sub <= 17):
			r.u32()
		default:
			r.fail(fmt.Sprintf("unknown instruction 0xfc %d", sub))
		}
	case op == 0xfd: // SIMD
		switch sub := r.u32(); {
		case sub <= 11 || sub == 92 || sub == 93:
			r.memarg()
		case sub == 12 || sub == 13:
			r.bytes(16)
		case sub >= 21 && sub <= 34:
			r.byte()
		case sub >= 84 && sub <= 91:
			r.memarg()
			r.byte()
		}
	case op == 0xfe: // threads
		if sub := r.u32(); sub == 3 {
			r.byte()
		} else {
			r.memarg()
		}
	default:
		r.fail(fmt.Sprintf("unknown instruction %#x", op))
	}
}

// reader decodes a module; the first error sticks, and later reads
// return zero.
type reader struct {
	b   []byte
	i   int
	err error
}

func (r *reader) fail(msg string) {
	if r.err == nil {
		r.err = errors.New("meter: " + msg)
	}
	r.i = len(r.b)
}

func (r *reader) byte() byte {
	if r.i >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || n > len(r.b)-r.i {
		r.fail("unexpected end")
		return nil
	}
	b := r.b[r.i : r.i+n]
	r.i += n
	return b
}

// leb skips a LEB128 number of up to 10 bytes and returns its low 64 bits
// (unsigned).
func (r *reader) leb() uint64 {
	var v uint64
	for shift := 0; shift < 70; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.fail("a LEB128 number is too long")
	return 0
}

func (r *reader) u32() uint32 {
	v := r.leb()
	if v > 1<<32-1 {
		r.fail("a u32 is too large")
		return 0
	}
	return uint32(v)
}

// count reads the length of a vector. Every element takes at least one
// byte, so a length past the bytes left is refused at once: a hostile
// module cannot make the rewrite loop billions of times over nothing.
func (r *reader) count() uint32 {
	n := r.u32()
	if r.err == nil && uint64(n) > uint64(len(r.b)-r.i) {
		r.fail("a vector longer than its section")
		return 0
	}
	return n
}

func (r *reader) name() string { return string(r.bytes(int(r.u32()))) }

// valType skips a value type (or a block type, a heap type): one byte, or
// a signed LEB128 type index.
func (r *reader) valType() {
	if r.i < len(r.b) && (r.b[r.i] == 0x63 || r.b[r.i] == 0x64) { // (ref null? ht)
		r.i++
	} else if r.i < len(r.b) && r.b[r.i]&0xc0 == 0x40 { // a one-byte negative number: a type code
		r.i++
		return
	}
	r.leb()
}

func (r *reader) blockType() { r.valType() }

func (r *reader) limits() {
	flags := r.byte()
	r.leb()
	if flags&1 != 0 {
		r.leb()
	}
}

func (r *reader) memarg() {
	align := r.u32()
	if align&0x40 != 0 { // multi-memory: a memory index follows
		r.u32()
	}
	r.leb()
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendName(b []byte, s string) []byte {
	return append(appendU32(b, uint32(len(s))), s...)
}
