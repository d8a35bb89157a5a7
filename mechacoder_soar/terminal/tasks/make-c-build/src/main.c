#include <stdio.h>
#include <stdlib.h>
#include "stats.h"

int main(int argc, char **argv) {
    long xs[64];
    int n = 0;
    for (int i = 1; i < argc && n < 64; i++) xs[n++] = strtol(argv[i], NULL, 10);
    summary_t s = summarise(xs, n);
    printf("n=%d min=%ld max=%ld mean=%.2f\n", s.n, s.min, s.max, s.mean);
    return 0;
}
