.PHONY: test run build bench fuzz

# The README's two commands: `make run` and `make test`.
run:
	go run ./cmd/schoolgate serve

test:
	bash scripts/test.sh

build:
	go build -o bin/schoolgate ./cmd/schoolgate

bench:
	go test -run '^$$' -bench . -benchmem ./internal/...

fuzz:
	bash scripts/fuzz.sh
