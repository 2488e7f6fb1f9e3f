/* reports.c: unsold, low-stock, report, abc, aging. */
#include <stddef.h>

#include "err.h"
#include "inv.h"
int inv_unsold(struct inv *v) { return ab_err(AB_ESOFTWARE, "not yet"); }
int inv_low_stock(struct inv *v) { return ab_err(AB_ESOFTWARE, "not yet"); }
int inv_report(struct inv *v) { return ab_err(AB_ESOFTWARE, "not yet"); }
int inv_abc(struct inv *v) { return ab_err(AB_ESOFTWARE, "not yet"); }
int inv_aging(struct inv *v) { return ab_err(AB_ESOFTWARE, "not yet"); }
