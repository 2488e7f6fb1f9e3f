/* mlp.h: small tanh multi-layer perceptrons on GSL's BLAS interface.
 *
 * An mlp is only a layout: the parameters live in a caller's flat array (so
 * one Adam and one gradient norm can cover several networks), at offsets the
 * layout gives. Weights of layer l are stored in x out row-major, so a batch
 * row-vector times W is one dgemm. Hidden layers use tanh, the last is linear.
 * mlp_forward keeps each layer's activations in the workspace for
 * mlp_backward, which ADDS the parameter gradients into g.
 */
#ifndef AB_TRAIN_MLP_H
#define AB_TRAIN_MLP_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#define MLP_MAXL 5

struct mlp {
	int nl;                     /* weight layers */
	int size[MLP_MAXL + 1];     /* size[0] inputs, size[nl] outputs */
	size_t off_w[MLP_MAXL], off_b[MLP_MAXL];
	size_t nparams;
};

struct mlp_ws {
	int cap;                    /* rows allocated */
	double *a[MLP_MAXL + 1];    /* a[0] aliases the input */
	double *d0, *d1;            /* backward scratch, cap x widest */
};

/* hidden: nh hidden widths (nh < MLP_MAXL). */
void mlp_layout(struct mlp *m, int nin, const int *hidden, int nh, int nout);
/* Orthogonal weights (gain for hidden layers, out_gain for the last), zero biases. */
void mlp_init_orthogonal(const struct mlp *m, double *p, double gain, double out_gain, gsl_rng *r);
void mlp_ws_init(struct mlp_ws *w, const struct mlp *m, int rows);
void mlp_ws_free(struct mlp_ws *w);
/* Returns the n x size[nl] output (inside the workspace). */
const double *mlp_forward(const struct mlp *m, const double *p, const double *x, int n,
			  struct mlp_ws *w);
/* dout: n x size[nl] gradient of the loss at the output. */
void mlp_backward(const struct mlp *m, const double *p, int n, struct mlp_ws *w,
		  const double *dout, double *g);
/* tanh to within 2e-16 absolute, vectorisable, same result everywhere. */
void mlp_tanh(double *x, size_t n);
/* Exact libm tanh instead (gradient checks); off by default. */
extern int mlp_exact_tanh;

#endif
