/* pending.c: commands not written yet. */
#include <stddef.h>

#include "err.h"
#include "order.h"

#define TODO(f) int f(struct order_ctx *x) { (void)x; return ab_err(AB_ESOFTWARE, "%s: not implemented yet", #f + 4); }
TODO(cmd_live) TODO(cmd_sync)
