;; fixed_route.wat: the smallest useful Sluice plugin, in WebAssembly text.
;; It routes every request to one target and shows that the ABI needs no
;; SDK and no particular language: a memory, three exports and a string.
;;
;;   wat2wasm fixed_route.wat -o fixed_route.wasm   (Debian: apt-get install wabt)
;;
;; See wasmhost/ABI.md for the contract.
(module
  (memory (export "memory") 1)

  ;; The result, at address 16: {"route":"openai/gpt-4o-mini"} (30 bytes).
  (data (i32.const 16) "{\"route\":\"openai/gpt-4o-mini\"}")

  ;; The ABI version this plugin speaks.
  (func (export "sluice_abi_version") (result i32)
    (i32.const 1))

  ;; Room for the host to write a hook's input: one buffer at 1024, grown
  ;; to fit. 0 tells the host there is no room.
  (func (export "sluice_alloc") (param $size i32) (result i32)
    (local $pages i32)
    (local.set $pages
      (i32.shr_u (i32.add (i32.add (local.get $size) (i32.const 1024)) (i32.const 65535))
                 (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1024))

  ;; route(ptr, len) -> (result address << 32) | result length. The input
  ;; (the request as JSON) is not even read.
  (func (export "route") (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 30))))
