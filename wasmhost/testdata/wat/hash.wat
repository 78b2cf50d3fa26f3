;; Uses the host's functions: route logs a line, hashes "alice" with
;; sluice.hash and returns the hash in decimal as its target.
(module
  (import "sluice" "log" (func $log (param i32 i32 i32)))
  (import "sluice" "hash" (func $hash (param i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "alice")
  (data (i32.const 32) "hello from wat")
  (data (i32.const 64) "{\"route\":\"")
  (func (export "sluice_abi_version") (result i32) (i32.const 1))
  (func (export "sluice_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "route") (param i32 i32) (result i64)
    (local $h i64) (local $end i32) (local $start i32)
    (call $log (i32.const 1) (i32.const 32) (i32.const 14))
    (local.set $h (call $hash (i32.const 16) (i32.const 5)))
    ;; Write the digits backwards, ending at 127, then close the string.
    (local.set $start (i32.const 128))
    (loop $digit
      (local.set $start (i32.sub (local.get $start) (i32.const 1)))
      (i32.store8 (local.get $start)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $h) (i64.const 10)))))
      (local.set $h (i64.div_u (local.get $h) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $h) (i64.const 0))))
    (i32.store8 (i32.const 128) (i32.const 34))  ;; "
    (i32.store8 (i32.const 129) (i32.const 125)) ;; }
    ;; Move the prefix {"route":" (10 bytes) just before the digits.
    (memory.copy (i32.sub (local.get $start) (i32.const 10)) (i32.const 64) (i32.const 10))
    (local.set $start (i32.sub (local.get $start) (i32.const 10)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $start)) (i64.const 32))
            (i64.extend_i32_u (i32.sub (i32.const 130) (local.get $start))))))
