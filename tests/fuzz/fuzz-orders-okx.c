/* fuzz-orders-okx: ab-order's okx answer parsers (cmd/ab-order/exchanges/okx.c)
 * on any answer; the harness is tests/fuzz/orders.h. */
#define _GNU_SOURCE /* memmem */
#include "../../cmd/ab-order/venue.c"
#include "../../cmd/ab-order/exchanges/okx.c"
#define VENUE venue_okx
#include "orders.h"
