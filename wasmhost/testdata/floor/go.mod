module sluice.test/floor

go 1.26.0
