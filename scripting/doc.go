// Package scripting will hold the Lua (gopher-lua) and JavaScript (goja)
// engines behind one Engine interface, the hook API of DESIGN.md
// (on_request, route, on_response, on_chunk), the VM pools and the file
// watcher that hot-reloads scripts. It is empty until the scripting issue
// lands; the `script` Caddyfile word does not exist yet.
package scripting
