/* book.h: a paper or live portfolio kept in the database between runs.
 *
 * book_load reads the portfolio's balances (one account per quote asset),
 * positions, unfinished orders and the kill switch; book_save writes balances
 * and positions back. The caller owns the transaction. Every function
 * returning int returns 0 or an exit code after printing a message.
 */
#ifndef AB_ORDER_BOOK_H
#define AB_ORDER_BOOK_H

#include "order.h"

#define BOOK_MAX_ACCOUNTS 16
#define BOOK_MAX_SLOTS 256

struct slot {
	struct engine e;
	struct eng_cfg cfg;       /* the run's options with the market's rules */
	char client_id[40];       /* of the pending order */
	int64_t order_id;
};

struct book {
	struct ab_db *db;
	const char *mode, *portfolio;
	const struct eng_cfg *cfg;
	int halted;
	struct account accts[BOOK_MAX_ACCOUNTS];
	char assets[BOOK_MAX_ACCOUNTS][16];
	int nacct;
	struct slot *slots[BOOK_MAX_SLOTS];
	int nslot;
};

int book_load(struct book *b);
int book_save(struct book *b);
void book_free(struct book *b);
/* The slot for a market, created (with the market's rules) when new; NULL when full. */
struct slot *book_slot(struct book *b, const char *exchange, const char *symbol);
/* Inserts an order unless its client id exists: *id is 0 for a duplicate. */
int book_insert_order(struct book *b, struct slot *s, const struct eng_order *o,
		      const char *client_id, const char *status, const char *reason, int64_t *id);
int book_update_order(struct book *b, int64_t id, const char *status, const char *reason,
		      double filled, double avg_price, const char *exchange_id);
int book_insert_fill(struct book *b, struct slot *s, int64_t order_id, const struct eng_fill *f,
		     const char *trade_id);
void book_out_order(struct ab_out *o, const struct slot *s, const struct eng_order *ord,
		    const char *client_id, const char *status, const char *reason, int64_t ts);

#endif
