#ifndef STATS_H
#define STATS_H
typedef struct { int n; long min; long max; double mean; } summary_t;
summary_t summarise(const long *xs, int n);
#endif
