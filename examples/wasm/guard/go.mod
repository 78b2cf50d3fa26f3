module example.com/sluice-wasm/guard

go 1.26.0

require github.com/sluicegw/sluice v0.0.0

replace github.com/sluicegw/sluice => ../../..
