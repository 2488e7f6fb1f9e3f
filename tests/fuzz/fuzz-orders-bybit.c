/* fuzz-orders-bybit: ab-order's bybit answer parsers (cmd/ab-order/exchanges/bybit.c)
 * on any answer; the harness is tests/fuzz/orders.h. */
#define _GNU_SOURCE /* memmem */
#include "../../cmd/ab-order/venue.c"
#include "../../cmd/ab-order/exchanges/bybit.c"
#define VENUE venue_bybit
#include "orders.h"
