;; Exports route and on_chunk, but sluice_hooks says it implements only
;; route, and sluice_fields asks for nothing but the model.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"route\":\"a/b\"}")
  (func (export "sluice_abi_version") (result i32) (i32.const 1))
  (func (export "sluice_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "sluice_hooks") (result i32) (i32.const 2))
  (func (export "sluice_fields") (param i32) (result i32) (i32.const 1))
  ;; route answers a/b when its input is exactly {"req":{"model":"m"}}.
  (data (i32.const 64) "{\"req\":{\"model\":\"m\"}}")
  (func (export "route") (param $p i32) (param $n i32) (result i64)
    (if (i32.ne (local.get $n) (i32.const 21)) (then (return (i64.const 0))))
    (if (i64.ne (i64.load (local.get $p)) (i64.load (i32.const 64))) (then (return (i64.const 0))))
    (if (i64.ne (i64.load (i32.add (local.get $p) (i32.const 8))) (i64.load (i32.const 72))) (then (return (i64.const 0))))
    (if (i32.ne (i32.load (i32.add (local.get $p) (i32.const 16))) (i32.load (i32.const 80))) (then (return (i64.const 0))))
    (if (i32.ne (i32.load8_u (i32.add (local.get $p) (i32.const 20))) (i32.load8_u (i32.const 84))) (then (return (i64.const 0))))
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15)))
  (func (export "on_chunk") (param i32 i32) (result i64) (unreachable)))
