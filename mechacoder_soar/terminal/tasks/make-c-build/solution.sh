#!/bin/bash
cd /app
printf '%s\n' \
  'CC ?= gcc' \
  'CFLAGS ?= -Wall -Wextra -O2' \
  'SRC := $(wildcard src/*.c)' \
  'OBJ := $(patsubst src/%.c,build/%.o,$(SRC))' \
  '' \
  'stats: $(OBJ)' \
  '	$(CC) $(CFLAGS) -o $@ $^' \
  '' \
  'build/%.o: src/%.c src/stats.h | build' \
  '	$(CC) $(CFLAGS) -c -o $@ $<' \
  '' \
  'build:' \
  '	mkdir -p build' \
  '' \
  'clean:' \
  '	rm -rf build stats' \
  '' \
  '.PHONY: clean' > Makefile
make
