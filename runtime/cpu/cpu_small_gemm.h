/* The CPU backend's own GEMM for small layers: an in-order vector loop whose per-element
 * summation does not depend on the number of rows, compiled per instruction set. */
#pragma once

/* C[m][n] = beta * C + A[m][k] * Bt[k][np] (the first n of np columns; np a multiple of
 * 16, Bt zero past n). beta 0: C's old contents are never read. The instruction set is
 * picked once per process, so every call sums the same way. */
void hexgpu_cpu_gemm_small(int m, int n, int np, int k, const float *a, const float *bt, float beta, float *c);
