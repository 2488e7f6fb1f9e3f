/* import.c: catalogues and orders from files. */
#include <stddef.h>

#include "err.h"
#include "inv.h"
int inv_import(struct inv *v) { return ab_err(AB_ESOFTWARE, "import: not yet"); }
