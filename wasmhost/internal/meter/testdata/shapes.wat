;; Every place a function index appears, for meter's tests: calls, a
;; table filled by an active and a passive element segment, ref.func in
;; code and in a global, an export, a start function; imports before the
;; module's own functions, globals, data, loops with parameters and
;; results.
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "g" (global $imported i32))
  (memory (export "memory") 1)
  (data (i32.const 8) "\2a\00\00\00")
  (data $passive "\07\00\00\00")
  (global $started (mut i32) (i32.const 0))
  (global $fref funcref (ref.func $seven))
  (type $ret (func (result i32)))
  (table $t 4 funcref)
  (elem (table $t) (i32.const 0) func $seven $eight)
  (elem $later func $nine)
  (elem declare func $seven)
  (func $seven (result i32) (i32.const 7))
  (func $eight (result i32) (i32.const 8))
  (func $nine (result i32) (i32.const 9))
  (func $start (global.set $started (i32.const 1)))
  (start $start)
  ;; sum(0..n-1) with a loop, plus the table's and ref.func's functions.
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (table.init $t $later (i32.const 2) (i32.const 0) (i32.const 1))
    (table.set $t (i32.const 3) (ref.func $eight))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (call $add (local.get $sum) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.add (local.get $sum) (call_indirect $t (type $ret) (i32.const 0)))
    (i32.add (call_indirect $t (type $ret) (i32.const 1)))
    (i32.add (call_indirect $t (type $ret) (i32.const 2)))
    (i32.add (call_indirect $t (type $ret) (i32.const 3)))
    (i32.add (i32.load (i32.const 8)))
    (i32.add (global.get $started))
    (i32.add (global.get $imported)))
  ;; A loop with a parameter and a result: counts down to zero.
  (func (export "countdown") (param $n i32) (result i32)
    (local.get $n)
    (loop $l (param i32) (result i32)
      (i32.sub (i32.const 1))
      (local.tee $n)
      (br_if $l (i32.ne (local.get $n) (i32.const 0)))
      (local.get $n)
      (drop))
    (i32.add (i32.const 100))))
