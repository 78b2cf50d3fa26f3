;; route runs for ever without a loop: a call tree of depth 60 whose every
;; function calls the next one twice (2^60 calls). A check at loop headers
;; alone would never see it; the metered module checks function entries
;; too.
(module
  (memory (export "memory") 1)
  (func (export "sluice_abi_version") (result i32) (i32.const 1))
  (func (export "sluice_alloc") (param i32) (result i32) (i32.const 1024))
  (func $tree (param $depth i32)
    (if (local.get $depth)
      (then
        (call $tree (i32.sub (local.get $depth) (i32.const 1)))
        (call $tree (i32.sub (local.get $depth) (i32.const 1))))))
  (func (export "route") (param i32 i32) (result i64)
    (call $tree (i32.const 60))
    (i64.const 0)))
