/* mlp.c: tanh MLP forward and backward passes through gsl_blas_dgemm. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>

#include "err.h"
#include "mlp.h"

int mlp_exact_tanh;

void
mlp_layout(struct mlp *m, int nin, const int *hidden, int nh, int nout)
{
	size_t off = 0;

	memset(m, 0, sizeof *m);
	m->nl = nh + 1;
	m->size[0] = nin;
	for (int i = 0; i < nh; i++)
		m->size[i + 1] = hidden[i];
	m->size[m->nl] = nout;
	for (int l = 0; l < m->nl; l++) {
		m->off_w[l] = off;
		off += (size_t)m->size[l] * m->size[l + 1];
		m->off_b[l] = off;
		off += (size_t)m->size[l + 1];
	}
	m->nparams = off;
}

/* A rows x cols matrix with orthonormal columns (rows >= cols) or rows, times
 * gain: Gram-Schmidt on a Gaussian matrix, which is QR with a positive R
 * diagonal, the sign convention torch.nn.init.orthogonal_ uses. */
static void
orthogonal(double *w, int rows, int cols, double gain, gsl_rng *r)
{
	int tall = rows >= cols, n = tall ? rows : cols, k = tall ? cols : rows;
	double *q = ab_malloc(sizeof *q * (size_t)n * k); /* k vectors of length n */

	for (int i = 0; i < n * k; i++)
		q[i] = gsl_ran_gaussian(r, 1.0);
	for (int j = 0; j < k; j++) {
		double *v = q + (size_t)j * n;
		for (int pass = 0; pass < 2; pass++)
			for (int i = 0; i < j; i++) {
				const double *u = q + (size_t)i * n;
				double dot = 0;
				for (int t = 0; t < n; t++)
					dot += u[t] * v[t];
				for (int t = 0; t < n; t++)
					v[t] -= dot * u[t];
			}
		double norm = 0;
		for (int t = 0; t < n; t++)
			norm += v[t] * v[t];
		norm = sqrt(norm);
		for (int t = 0; t < n; t++)
			v[t] /= norm;
	}
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++)
			w[(size_t)i * cols + j] = gain * (tall ? q[(size_t)j * n + i] : q[(size_t)i * n + j]);
	free(q);
}

void
mlp_init_orthogonal(const struct mlp *m, double *p, double gain, double out_gain, gsl_rng *r)
{
	for (int l = 0; l < m->nl; l++) {
		orthogonal(p + m->off_w[l], m->size[l], m->size[l + 1],
			   l == m->nl - 1 ? out_gain : gain, r);
		memset(p + m->off_b[l], 0, sizeof *p * (size_t)m->size[l + 1]);
	}
}

void
mlp_ws_init(struct mlp_ws *w, const struct mlp *m, int rows)
{
	int widest = 0;

	memset(w, 0, sizeof *w);
	w->cap = rows;
	for (int l = 0; l <= m->nl; l++) {
		if (m->size[l] > widest)
			widest = m->size[l];
		if (l > 0)
			w->a[l] = ab_malloc(sizeof(double) * (size_t)rows * m->size[l]);
	}
	w->d0 = ab_malloc(sizeof(double) * (size_t)rows * widest);
	w->d1 = ab_malloc(sizeof(double) * (size_t)rows * widest);
}

void
mlp_ws_free(struct mlp_ws *w)
{
	for (int l = 1; l <= MLP_MAXL; l++)
		free(w->a[l]);
	free(w->d0);
	free(w->d1);
	memset(w, 0, sizeof *w);
}

/* tanh(x) = sign(x) (1 - 2 / (e^{2|x|} + 1)), with e^y as 2^k times a
 * degree-13 polynomial on |r| <= ln2/2. Branch-free so it vectorises; the
 * rounding of k and the exponent bits come from adding 1.5 * 2^52. */
__attribute__((optimize("O3"), target_clones("avx2", "default")))
void
mlp_tanh(double *x, size_t n)
{
	if (mlp_exact_tanh) {
		for (size_t i = 0; i < n; i++)
			x[i] = tanh(x[i]);
		return;
	}
	const double shifter = 0x1.8p52;
	uint64_t sbits;
	memcpy(&sbits, &shifter, sizeof sbits);
	const double cap = 19.5;
	uint64_t capbits;
	memcpy(&capbits, &cap, sizeof capbits);
	for (size_t i = 0; i < n; i++) {
		/* |x| as bits, capped at 19.5 (tanh is 1 in double beyond 19.06);
		 * non-negative doubles order like their bit patterns. */
		uint64_t vb, ab;
		memcpy(&vb, &x[i], sizeof vb);
		ab = vb & 0x7fffffffffffffffULL;
		ab = ab < capbits ? ab : capbits;
		double ax;
		memcpy(&ax, &ab, sizeof ax);
		double y = 2 * ax;
		double t = y * 1.4426950408889634 + shifter;
		double k = t - shifter;
		double r = (y - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
		double p = 1.0 / 6227020800.0;
		p = p * r + 1.0 / 479001600.0;
		p = p * r + 1.0 / 39916800.0;
		p = p * r + 1.0 / 3628800.0;
		p = p * r + 1.0 / 362880.0;
		p = p * r + 1.0 / 40320.0;
		p = p * r + 1.0 / 5040.0;
		p = p * r + 1.0 / 720.0;
		p = p * r + 1.0 / 120.0;
		p = p * r + 1.0 / 24.0;
		p = p * r + 1.0 / 6.0;
		p = p * r + 0.5;
		p = p * r + 1.0;
		p = p * r + 1.0;
		uint64_t tb, eb;
		memcpy(&tb, &t, sizeof tb);
		eb = (tb - sbits + 1023) << 52;
		double scale;
		memcpy(&scale, &eb, sizeof scale);
		double th = 1.0 - 2.0 / (p * scale + 1.0);
		uint64_t thb;
		memcpy(&thb, &th, sizeof thb);
		thb |= vb & 0x8000000000000000ULL;
		memcpy(&x[i], &thb, sizeof thb);
	}
}

const double *
mlp_forward(const struct mlp *m, const double *p, const double *x, int n, struct mlp_ws *w)
{
	w->a[0] = (double *)x;
	for (int l = 0; l < m->nl; l++) {
		int in = m->size[l], out = m->size[l + 1];
		const double *b = p + m->off_b[l];
		double *y = w->a[l + 1];
		for (int i = 0; i < n; i++)
			memcpy(y + (size_t)i * out, b, sizeof *b * out);
		gsl_matrix_const_view A = gsl_matrix_const_view_array(w->a[l], n, in);
		gsl_matrix_const_view W = gsl_matrix_const_view_array(p + m->off_w[l], in, out);
		gsl_matrix_view Y = gsl_matrix_view_array(y, n, out);
		gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &A.matrix, &W.matrix, 1.0, &Y.matrix);
		if (l < m->nl - 1)
			mlp_tanh(y, (size_t)n * out);
	}
	return w->a[m->nl];
}

__attribute__((optimize("O3"), target_clones("avx2", "default")))
void
mlp_backward(const struct mlp *m, const double *p, int n, struct mlp_ws *w,
	     const double *dout, double *g)
{
	const double *d = dout;
	double *next = w->d0, *other = w->d1;

	for (int l = m->nl - 1; l >= 0; l--) {
		int in = m->size[l], out = m->size[l + 1];
		gsl_matrix_const_view A = gsl_matrix_const_view_array(w->a[l], n, in);
		gsl_matrix_const_view D = gsl_matrix_const_view_array(d, n, out);
		gsl_matrix_view GW = gsl_matrix_view_array(g + m->off_w[l], in, out);
		gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, &A.matrix, &D.matrix, 1.0, &GW.matrix);
		double *gb = g + m->off_b[l];
		for (int i = 0; i < n; i++)
			for (int j = 0; j < out; j++)
				gb[j] += d[(size_t)i * out + j];
		if (l == 0)
			break;
		gsl_matrix_const_view W = gsl_matrix_const_view_array(p + m->off_w[l], in, out);
		gsl_matrix_view DP = gsl_matrix_view_array(next, n, in);
		gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &D.matrix, &W.matrix, 0.0, &DP.matrix);
		const double *a = w->a[l];
		for (size_t i = 0; i < (size_t)n * in; i++)
			next[i] *= 1.0 - a[i] * a[i];
		d = next;
		double *t = next;
		next = other;
		other = t;
	}
}
