;; Not a plugin: no sluice_abi_version, no sluice_alloc, and route has the
;; wrong type.
(module
  (memory (export "memory") 1)
  (func (export "route") (param i32) (result i32) (i32.const 0)))
