// SPDX-License-Identifier: MIT
/*
 * svacheck shim for include/linux/mutex.h and the lockdep assertion: one thread, so a mutex is
 * "held" exactly while locked. Locking a held mutex (a self-deadlock), unlocking a free one and
 * lockdep_assert_held on a free one all abort with a message (kernel/shim/kernel.c).
 */
#ifndef SVACHECK_LINUX_MUTEX_H
#define SVACHECK_LINUX_MUTEX_H

#include <svacheck/kernel.h>

struct mutex { const char *name; bool locked; const char *holder; };

#define DEFINE_MUTEX(m) struct mutex m = { .name = #m, .locked = false, .holder = NULL }
static inline void mutex_init(struct mutex *m) { m->name = "mutex"; m->locked = false; m->holder = NULL; }

void svacheck_mutex_lock(struct mutex *m, const char *func);
void svacheck_mutex_unlock(struct mutex *m, const char *func);
void svacheck_lockdep_assert_held(const struct mutex *m, const char *expr, const char *file, int line, const char *func);
#define mutex_lock(m) svacheck_mutex_lock((m), __func__)
#define mutex_unlock(m) svacheck_mutex_unlock((m), __func__)
#define lockdep_assert_held(m) svacheck_lockdep_assert_held((m), #m, __FILE__, __LINE__, __func__)

/* guard(mutex)(&lock): include/linux/mutex.h's DEFINE_GUARD(mutex, ...). */
struct __svacheck_guard_mutex { struct mutex *lock; };
static inline struct __svacheck_guard_mutex __svacheck_guard_mutex_enter(struct mutex *m)
{
	struct __svacheck_guard_mutex g = { m };
	svacheck_mutex_lock(m, "guard(mutex)");
	return g;
}
static inline void __svacheck_guard_mutex_exit(struct __svacheck_guard_mutex *g)
{
	if (g->lock)
		svacheck_mutex_unlock(g->lock, "guard(mutex) scope exit");
}

#endif
