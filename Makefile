# The README's commands.
.PHONY: run test bench fuzz build

build:
	go build -o switchboard ./cmd/switchboard

# The example's secret is change-me unless GITHUB_WEBHOOK_SECRET is set.
run:
	GITHUB_WEBHOOK_SECRET="$${GITHUB_WEBHOOK_SECRET:-change-me}" go run ./cmd/switchboard serve -c examples/switchboard.yml

test:
	go test -race -count=1 ./...

bench:
	go test -run '^$$' -bench . -benchmem ./rules/ ./store/

fuzz:
	bash scripts/fuzz.sh 10m
