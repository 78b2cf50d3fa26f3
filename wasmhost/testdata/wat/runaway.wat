;; route loops forever without calling anything; on_request traps;
;; on_chunk grows its memory until it cannot and then traps; on_response
;; calls sluice.log with a level that does not exist.
(module
  (import "sluice" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "sluice_abi_version") (result i32) (i32.const 1))
  (func (export "sluice_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "route") (param i32 i32) (result i64)
    (loop $forever (br $forever))
    (i64.const 0))
  (func (export "on_request") (param i32 i32) (result i64) (unreachable))
  (func (export "on_chunk") (param i32 i32) (result i64)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    (unreachable))
  (func (export "on_response") (param i32 i32) (result i64)
    (call $log (i32.const 9) (i32.const 0) (i32.const 4))
    (i64.const 0)))
