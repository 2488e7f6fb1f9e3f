/* fuzz-orders-coinbase: ab-order's coinbase answer parsers (cmd/ab-order/exchanges/coinbase.c)
 * on any answer; the harness is tests/fuzz/orders.h. */
#define _GNU_SOURCE /* memmem */
#include "../../cmd/ab-order/venue.c"
#include "../../cmd/ab-order/exchanges/coinbase.c"
#define VENUE venue_coinbase
#include "orders.h"
