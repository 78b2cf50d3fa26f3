;; Imports what the host does not provide, and sluice.log with the wrong
;; type.
(module
  (import "env" "abort" (func (param i32)))
  (import "sluice" "nope" (func))
  (import "sluice" "log" (func (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "sluice_abi_version") (result i32) (i32.const 1))
  (func (export "sluice_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "route") (param i32 i32) (result i64) (i64.const 0)))
