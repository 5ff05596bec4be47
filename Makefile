.PHONY: test run build bench fuzz

# The README's two commands: `make run` and `make test`.
# run builds, then execs the binary in place of the recipe's shell: the
# PID it prints is the server's own, so Ctrl-C or `kill PID` stops it (no
# `go run` parent left holding the ports). ARGS adds serve flags.
run: build
	@echo "bin/schoolgate serve $(ARGS)"; echo "pid $$$$ (stop it with Ctrl-C or kill $$$$)"; exec bin/schoolgate serve $(ARGS)

test:
	bash scripts/test.sh

build:
	go build -o bin/schoolgate ./cmd/schoolgate

bench:
	go test -run '^$$' -bench . -benchmem ./internal/...

fuzz:
	bash scripts/fuzz.sh
