/*
 * deps.h - dependencies between services: Requires=, Wants=, BindsTo=,
 * PartOf= (which units a request pulls along) and After=/Before= (when
 * it may be carried out), with systemd's meaning.
 *
 * Model (dinit's two phases): a request first settles *what* should
 * happen by marking units -- svc.dep_start or svc.dep_stop -- walking the
 * requirement relations with a queue, never by recursion. Then deps_run()
 * carries out every marked request whose ordering allows it, and is
 * called again on every state change, until no mark is left:
 *   start of u  waits while a unit u is ordered after is on its way up
 *               (marked, START_PRE, STARTING, START_POST); fails when a
 *               Requires=/BindsTo= unit it is ordered after has failed.
 *   stop of u   waits while a unit ordered after u is on its way down
 *               (marked, STOP_CMD, STOPPING, FINAL_SIGTERM): the reverse
 *               order.
 * Requires=/Wants=/BindsTo= of a started unit are started too; a stop of u
 * also stops the units that Requires=/BindsTo=/PartOf= it; a unit whose
 * BindsTo= unit goes down for good is stopped.
 *
 * Ordering cycles are found when units are loaded (deps_check_cycles):
 * the units on a cycle are logged, their status names the cycle, and the
 * ordering between them is ignored -- so nothing ever waits forever.
 * Names other than *.service and *.socket (targets) are ignored.
 */
#ifndef SUPD_DEPS_H
#define SUPD_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "unit.h"

/* A start of service u (operator, or the daemon's start): u and what it
 * requires or wants are marked, then carried out as ordering allows.
 * Returns 0; a missing requirement fails u (its status says why). */
int deps_request_start(struct unit *u, char *err, size_t errlen);
/* Mark only (several units at once, then deps_run()). */
void deps_mark_start(struct unit *u);
/* A stop of u and of the units that require it, in reverse order. */
void deps_request_stop(struct unit *u);
/* Daemon shutdown: stop every service, in reverse dependency order. */
void deps_shutdown(void);
/* Carry out every marked request that may proceed now. */
/* While deferred, deps_run() does nothing: a caller that changes many
 * units at once (the re-exec restore) runs it once afterwards. */
void deps_defer(bool on);
void deps_run(void);
/* svc_set_state calls this on every transition of u. */
void deps_state_changed(struct unit *u);
/* PropagatesReloadTo=/ReloadPropagatedFrom=: u's reload has begun; reload
 * the running units it reaches too. */
void deps_propagate_reload(struct unit *u);
/* ... and this, with the states, for OnFailure= and OnSuccess=. */
void deps_on_transition(struct unit *u, enum svc_state old, enum svc_state st);

/* Find ordering cycles among the loaded units (after a load, a reload or
 * a re-exec); marks svc.dep_cycle and logs them. Returns how many units
 * are on cycles. */
unsigned deps_check_cycles(void);
/* Put the cycle u is on into its status text (after a spawn cleared it). */
void deps_cycle_note(struct unit *u);

#endif
