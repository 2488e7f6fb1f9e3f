/* fuzz-orders-binance: ab-order's binance answer parsers (cmd/ab-order/exchanges/binance.c)
 * on any answer; the harness is tests/fuzz/orders.h. */
#define _GNU_SOURCE /* memmem */
#include "../../cmd/ab-order/venue.c"
#include "../../cmd/ab-order/exchanges/binance.c"
#define VENUE venue_binance
#include "orders.h"
