#include "stats.h"

summary_t summarise(const long *xs, int n) {
    summary_t s = {n, 0, 0, 0.0};
    long total = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || xs[i] < s.min) s.min = xs[i];
        if (i == 0 || xs[i] > s.max) s.max = xs[i];
        total += xs[i];
    }
    s.mean = n ? (double)total / n : 0.0;
    return s;
}
