;; Hands back the result chosen by set_case: every way a result can be
;; wrong, and some right ones. route and on_request return the same.
(module
  (memory (export "memory") 1)
  (global $case (mut i32) (i32.const 0))
  (func (export "set_case") (param i32) (global.set $case (local.get 0)))

  ;; The results, and a table of (address, length) at 0, 8 bytes a case.
  (data (i32.const 4096) "not json")
  (data (i32.const 4112) "{\"route\":42}")
  (data (i32.const 4128) "{\"route\":[\"a/b\",\"\"]}")
  (data (i32.const 4160) "{\"req\":{\"max_tokens\":\"many\"}}")
  (data (i32.const 4192) "{\"route\":\"x/y\",\"extra\":1}")
  (data (i32.const 4224) "{\"deny\":{\"status\":200}}")
  (data (i32.const 4256) "{\"error\":\"boom\"}")
  (data (i32.const 4288) "[1,2]")
  (data (i32.const 4304) "{\"route\":\"openai/gpt-4o\"}")
  (data (i32.const 4336) "{\"chunk\":{\"text\":\"x\"}}")
  (data (i32.const 4368) "{\"route\":\"a/b\"} trailing")
  (data (i32.const 4400) "{\"deny\":{\"status\":451}}")
  (data (i32.const 4432) "{\"req\":{\"model\":\"m2\",\"headers\":{\"x\":\"y\"},\"temperature\":null,\"metadata\":{\"n\":3,\"b\":true}}}")
  (data (i32.const 4528) "{}")
  (data (i32.const 4544) "{\"route\":[\"a/b\",\"c/d\"],}")
  (data (i32.const 0)
    "\00\10\00\00\08\00\00\00"  ;; 0 not JSON
    "\10\10\00\00\0c\00\00\00"  ;; 1 route is a number
    "\20\10\00\00\14\00\00\00"  ;; 2 an empty target
    "\40\10\00\00\1d\00\00\00"  ;; 3 max_tokens of the wrong type
    "\60\10\00\00\19\00\00\00"  ;; 4 two keys
    "\80\10\00\00\17\00\00\00"  ;; 5 deny 200
    "\a0\10\00\00\10\00\00\00"  ;; 6 an error
    "\c0\10\00\00\05\00\00\00"  ;; 7 an array
    "\00\00\10\00\10\00\00\00"  ;; 8 out of bounds: 16 bytes at 1 MiB
    "\00\10\00\00\00\00\00\01"  ;; 9 16 MiB long
    "\d0\10\00\00\19\00\00\00"  ;; 10 a bare string target
    "\f0\10\00\00\16\00\00\00"  ;; 11 the wrong hook's key
    "\10\11\00\00\18\00\00\00"  ;; 12 trailing bytes
    "\30\11\00\00\17\00\00\00"  ;; 13 deny 451 without a message
    "\50\11\00\00\59\00\00\00"  ;; 14 a request rewrite with read-only fields
    "\b0\11\00\00\02\00\00\00"  ;; 15 {}
    "\c0\11\00\00\18\00\00\00"  ;; 16 a trailing comma
  )

  (func (export "sluice_abi_version") (result i32) (i32.const 1))
  ;; Case 99: no room for the input.
  (func (export "sluice_alloc") (param i32) (result i32)
    (if (i32.eq (global.get $case) (i32.const 99)) (then (return (i32.const 0))))
    (i32.const 8192))
  (func $result (result i64)
    (local $at i32)
    (local.set $at (i32.mul (global.get $case) (i32.const 8)))
    (i64.or
      (i64.shl (i64.extend_i32_u (i32.load (local.get $at))) (i64.const 32))
      (i64.extend_i32_u (i32.load (i32.add (local.get $at) (i32.const 4))))))
  (func (export "route") (param i32 i32) (result i64) (call $result))
  (func (export "on_request") (param i32 i32) (result i64) (call $result)))
