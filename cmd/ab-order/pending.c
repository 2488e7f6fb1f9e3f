/* pending.c: commands not written yet. */
#include <stddef.h>

#include "err.h"
#include "order.h"

#define TODO(f) int f(struct order_ctx *x) { (void)x; return ab_err(AB_ESOFTWARE, "%s: not implemented yet", #f + 4); }
TODO(cmd_paper) TODO(cmd_live) TODO(cmd_sync) TODO(cmd_orders) TODO(cmd_fills)
TODO(cmd_positions) TODO(cmd_pnl) TODO(cmd_cancel) TODO(cmd_halt) TODO(cmd_resume)
