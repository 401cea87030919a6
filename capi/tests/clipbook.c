/*
 * clipbook.c: the ClipBook resource DLL pattern, ported to clusworker's C ABI
 * and run under load.
 *
 * Online terminates the resource's previous pending worker, creates a new one
 * on the same CLUS_WORKER and returns ERROR_IO_PENDING; the worker polls
 * ClusWorkerCheckTerminate and reports progress (a checkpoint counter) until
 * it is done or told to stop. Terminate stops it. Several threads drive a few
 * shared resources at once; other scenarios check each documented return
 * code. Every return code is checked; any failure makes the exit status
 * non-zero. The last line is "N passed, M failed" (scenarios).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clusworker.h"

#define ERROR_IO_PENDING 997u
#define ERROR_OPERATION_ABORTED 995u

/* Resource states, as the Resource Monitor numbers them. */
enum { STATE_ONLINE = 2, STATE_OFFLINE = 3, STATE_ONLINE_PENDING = 129 };

static atomic_long checks;
static atomic_long check_failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        atomic_fetch_add(&checks, 1);                                          \
        if (!(cond)) {                                                         \
            atomic_fetch_add(&check_failures, 1);                              \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

#define CHECK_CODE(got, want, what)                                            \
    do {                                                                       \
        DWORD got_ = (got), want_ = (want);                                    \
        CHECK(got_ == want_, "%s returned %u, expected %u", what,              \
              (unsigned)got_, (unsigned)want_);                                \
    } while (0)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Spins (politely) until *flag is nonzero, for at most 60 s. */
static int await_flag(atomic_int *flag) {
    for (int i = 0; i < 60000; i++) {
        if (atomic_load(flag))
            return 1;
        sleep_ms(1);
    }
    return 0;
}

/* ---- the ClipBook resource ------------------------------------------------ */

typedef struct {
    CLUS_WORKER pending;       /* the pending operation's worker */
    pthread_mutex_t calls;     /* the monitor serialises Online per resource */
    atomic_int state;
    atomic_uint checkpoint;    /* progress reported by the worker */
    atomic_long started, exited, creates, busy;
    unsigned steps;            /* steps an Online takes to finish */
} RESOURCE;

static DWORD WINAPI OnlineThread(PCLUS_WORKER worker, LPVOID parameter) {
    RESOURCE *res = parameter;
    atomic_fetch_add(&res->started, 1);
    CHECK(worker == &res->pending, "the routine got %p, expected its CLUS_WORKER %p",
          (void *)worker, (void *)&res->pending);
    DWORD status = ERROR_SUCCESS;
    for (unsigned step = 0; step < res->steps; step++) {
        if (ClusWorkerCheckTerminate(worker)) {
            status = ERROR_OPERATION_ABORTED;
            break;
        }
        atomic_fetch_add(&res->checkpoint, 1); /* SetResourceStatus(OnlinePending, cp) */
        sched_yield();
    }
    if (status == ERROR_SUCCESS)
        atomic_store(&res->state, STATE_ONLINE);
    atomic_fetch_add(&res->exited, 1);
    return status;
}

/* The Online entry point. */
static DWORD Online(RESOURCE *res) {
    pthread_mutex_lock(&res->calls);
    /* The previous pending worker, if any. */
    ClusWorkerTerminate(&res->pending);
    DWORD status;
    for (int tries = 0;; tries++) {
        atomic_store(&res->state, STATE_ONLINE_PENDING);
        status = ClusWorkerCreate(&res->pending, OnlineThread, res);
        if (status != ERROR_INVALID_STATE || tries == 100000)
            break;
        /* A concurrent Terminate entry point is still winding the old worker
         * down (our ClusWorkerTerminate returned at once, as later callers
         * do): wait for it, then try again. */
        atomic_fetch_add(&res->busy, 1);
        CHECK_CODE(ClusWorkerTerminateEx(&res->pending, INFINITE, FALSE), ERROR_SUCCESS,
                   "ClusWorkerTerminateEx(INFINITE) in Online");
        sched_yield();
    }
    pthread_mutex_unlock(&res->calls);
    if (status != ERROR_SUCCESS)
        return status;
    atomic_fetch_add(&res->creates, 1);
    return ERROR_IO_PENDING;
}

/* The Terminate entry point: may run concurrently with Online. */
static void Terminate(RESOURCE *res) {
    ClusWorkerTerminate(&res->pending);
    atomic_store(&res->state, STATE_OFFLINE);
}

static void resource_init(RESOURCE *res, unsigned steps) {
    memset(res, 0, sizeof *res); /* a zeroed CLUS_WORKER, as documented */
    pthread_mutex_init(&res->calls, NULL);
    atomic_store(&res->state, STATE_OFFLINE);
    res->steps = steps;
}

static void resource_check_idle(RESOURCE *res, const char *what) {
    CHECK(res->pending.hThread == NULL, "%s: the CLUS_WORKER still holds a worker", what);
    CHECK(atomic_load(&res->started) == atomic_load(&res->creates),
          "%s: %ld creates but %ld routines started", what, atomic_load(&res->creates),
          atomic_load(&res->started));
    CHECK(atomic_load(&res->exited) == atomic_load(&res->started),
          "%s: %ld routines started but %ld exited", what, atomic_load(&res->started),
          atomic_load(&res->exited));
    pthread_mutex_destroy(&res->calls);
}

/* ---- helper routines ------------------------------------------------------- */

/* Ignores terminate until *(atomic_int *)parameter is set. */
static DWORD WINAPI Stubborn(PCLUS_WORKER worker, LPVOID parameter) {
    (void)worker;
    return await_flag(parameter) ? 7 : 1;
}

/* Polls ClusWorkerCheckTerminate until told to stop. */
static DWORD WINAPI Poller(PCLUS_WORKER worker, LPVOID parameter) {
    (void)parameter;
    while (!ClusWorkerCheckTerminate(worker))
        sleep_ms(1);
    return ERROR_SUCCESS;
}

/* ---- scenarios --------------------------------------------------------- */

static void null_pointers(void) {
    CLUS_WORKER w = {0};
    int flag = 0;
    CHECK_CODE(ClusWorkerCreate(NULL, Poller, NULL), ERROR_INVALID_PARAMETER,
               "ClusWorkerCreate(NULL, ..)");
    CHECK_CODE(ClusWorkerCreate(&w, NULL, &flag), ERROR_INVALID_PARAMETER,
               "ClusWorkerCreate(w, NULL, ..)");
    CHECK(ClusWorkerCheckTerminate(NULL) == FALSE, "ClusWorkerCheckTerminate(NULL) was TRUE");
    ClusWorkerTerminate(NULL);
    CHECK_CODE(ClusWorkerTerminateEx(NULL, 0, FALSE), ERROR_INVALID_PARAMETER,
               "ClusWorkerTerminateEx(NULL, ..)");
    CHECK_CODE(ClusWorkersTerminate(NULL, 1, 0, FALSE), ERROR_INVALID_PARAMETER,
               "ClusWorkersTerminate(NULL, 1, ..)");
    CHECK_CODE(ClusWorkersTerminate(NULL, 0, 0, FALSE), ERROR_SUCCESS,
               "ClusWorkersTerminate(NULL, 0, ..)");
    PCLUS_WORKER some[2] = {&w, NULL};
    CHECK_CODE(ClusWorkersTerminate(some, 2, 0, FALSE), ERROR_INVALID_PARAMETER,
               "ClusWorkersTerminate with a NULL entry");
    /* Nothing of that touched w. */
    CHECK(w.hThread == NULL && w.Terminate == FALSE && w.clusworkerPrivate == 0,
          "a call with a NULL argument changed the CLUS_WORKER");
    /* Empty structs are fine everywhere. */
    ClusWorkerTerminate(&w);
    CHECK_CODE(ClusWorkerTerminateEx(&w, 0, FALSE), ERROR_SUCCESS, "TerminateEx on an empty struct");
}

static void clipbook_online_offline(void) {
    RESOURCE res;
    resource_init(&res, UINT32_MAX); /* never finishes by itself */
    for (int i = 0; i < 20; i++) {
        CHECK_CODE(Online(&res), ERROR_IO_PENDING, "Online");
        CHECK(res.pending.hThread != NULL, "Online left no worker in the CLUS_WORKER");
        CHECK(res.pending.Terminate == FALSE, "a new worker's Terminate was %d", res.pending.Terminate);
        /* Progress is reported. */
        unsigned cp = atomic_load(&res.checkpoint);
        for (int j = 0; j < 60000 && atomic_load(&res.checkpoint) == cp; j++)
            sleep_ms(1);
        CHECK(atomic_load(&res.checkpoint) > cp, "the pending worker reported no progress");
    }
    Terminate(&res);
    CHECK(res.pending.Terminate == TRUE, "Terminate left Terminate at %d", res.pending.Terminate);
    CHECK(ClusWorkerCheckTerminate(&res.pending) == TRUE, "ClusWorkerCheckTerminate after Terminate");
    CHECK(atomic_load(&res.creates) == 20, "%ld creates, expected 20", atomic_load(&res.creates));
    resource_check_idle(&res, "online/offline");

    /* An Online that finishes by itself: the worker reaches Online. */
    resource_init(&res, 100);
    CHECK_CODE(Online(&res), ERROR_IO_PENDING, "Online");
    CHECK_CODE(ClusWorkerTerminateEx(&res.pending, INFINITE, TRUE), ERROR_SUCCESS,
               "ClusWorkerTerminateEx(wait only)");
    CHECK(atomic_load(&res.state) == STATE_ONLINE, "state %d, expected Online",
          atomic_load(&res.state));
    CHECK(atomic_load(&res.checkpoint) == 100, "checkpoint %u, expected 100",
          atomic_load(&res.checkpoint));
    resource_check_idle(&res, "online to the end");
}

static void create_on_a_running_worker(void) {
    CLUS_WORKER w = {0};
    CHECK_CODE(ClusWorkerCreate(&w, Poller, NULL), ERROR_SUCCESS, "ClusWorkerCreate");
    CLUS_WORKER before = w;
    CHECK_CODE(ClusWorkerCreate(&w, Poller, NULL), ERROR_INVALID_STATE,
               "ClusWorkerCreate on a running worker");
    CHECK(memcmp(&before, &w, sizeof w) == 0, "a refused create changed the CLUS_WORKER");
    CHECK(ClusWorkerCheckTerminate(&w) == FALSE, "a refused create requested terminate");
    ClusWorkerTerminate(&w);
    CHECK(w.hThread == NULL, "ClusWorkerTerminate left the worker in the struct");
    CHECK_CODE(ClusWorkerCreate(&w, Poller, NULL), ERROR_SUCCESS, "ClusWorkerCreate after terminate");
    CHECK(ClusWorkerCheckTerminate(&w) == FALSE, "a re-created worker starts terminated");
    ClusWorkerTerminate(&w);
}

static void terminate_ex_times_out_then_succeeds(void) {
    CLUS_WORKER w = {0};
    atomic_int release = 0;
    CHECK_CODE(ClusWorkerCreate(&w, Stubborn, &release), ERROR_SUCCESS, "ClusWorkerCreate");
    CHECK_CODE(ClusWorkerTerminateEx(&w, 0, FALSE), WAIT_TIMEOUT, "ClusWorkerTerminateEx(0)");
    CHECK_CODE(ClusWorkerTerminateEx(&w, 20, TRUE), WAIT_TIMEOUT, "ClusWorkerTerminateEx(20, wait only)");
    CHECK(w.hThread != NULL, "a timed-out TerminateEx lost the worker");
    CHECK(w.Terminate == TRUE, "TerminateEx did not set Terminate");
    CHECK_CODE(ClusWorkerCreate(&w, Poller, NULL), ERROR_INVALID_STATE,
               "ClusWorkerCreate on a stubborn worker");
    atomic_store(&release, 1);
    CHECK_CODE(ClusWorkerTerminateEx(&w, INFINITE, TRUE), ERROR_SUCCESS,
               "ClusWorkerTerminateEx(INFINITE, wait only)");
    CHECK(w.hThread == NULL, "a successful TerminateEx left the worker in the struct");
}

typedef struct {
    CLUS_WORKER *w;
    atomic_int done;
} TERMINATOR;

static void *terminator(void *arg) {
    TERMINATOR *t = arg;
    ClusWorkerTerminate(t->w);
    atomic_store(&t->done, 1);
    return NULL;
}

static void first_terminator_waits_later_ones_return(void) {
    CLUS_WORKER w = {0};
    atomic_int release = 0;
    CHECK_CODE(ClusWorkerCreate(&w, Stubborn, &release), ERROR_SUCCESS, "ClusWorkerCreate");
    TERMINATOR t = {&w, 0};
    pthread_t first;
    CHECK(pthread_create(&first, NULL, terminator, &t) == 0, "pthread_create");
    /* The first terminator has set Terminate under its lock once this is
     * TRUE; it is then waiting for the stubborn worker. */
    for (int i = 0; i < 60000 && !ClusWorkerCheckTerminate(&w); i++)
        sleep_ms(1);
    CHECK(ClusWorkerCheckTerminate(&w), "the first terminator never requested");
    ClusWorkerTerminate(&w); /* a later call: returns at once */
    CHECK(atomic_load(&t.done) == 0, "the first terminator returned before the worker exited");
    CHECK_CODE(ClusWorkerCreate(&w, Poller, NULL), ERROR_INVALID_STATE,
               "ClusWorkerCreate while a terminate is in progress");
    atomic_store(&release, 1);
    pthread_join(first, NULL);
    CHECK(atomic_load(&t.done) == 1, "the first terminator did not finish");
    CHECK(w.hThread == NULL, "the first terminator did not reap the worker");
}

static DWORD WINAPI SelfTerminating(PCLUS_WORKER worker, LPVOID parameter) {
    DWORD *code = parameter;
    ClusWorkerTerminate(worker); /* returns at once: it cannot wait for itself */
    *code = ClusWorkerTerminateEx(worker, INFINITE, FALSE);
    return ClusWorkerCheckTerminate(worker) ? ERROR_SUCCESS : 1;
}

static void self_terminate(void) {
    CLUS_WORKER w = {0};
    DWORD code = 12345;
    CHECK_CODE(ClusWorkerCreate(&w, SelfTerminating, &code), ERROR_SUCCESS, "ClusWorkerCreate");
    CHECK_CODE(ClusWorkerTerminateEx(&w, INFINITE, TRUE), ERROR_SUCCESS, "waiting for a self-terminated worker");
    CHECK_CODE(code, ERROR_POSSIBLE_DEADLOCK, "ClusWorkerTerminateEx on the worker's own thread");
}

static void workers_terminate(void) {
    enum { N = 6 };
    CLUS_WORKER ws[N];
    PCLUS_WORKER ptrs[N];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < N; i++) {
        ptrs[i] = &ws[i];
        CHECK_CODE(ClusWorkerCreate(&ws[i], Poller, NULL), ERROR_SUCCESS, "ClusWorkerCreate");
    }
    CHECK_CODE(ClusWorkersTerminate(ptrs, N, 60000, FALSE), ERROR_SUCCESS, "ClusWorkersTerminate");
    for (int i = 0; i < N; i++)
        CHECK(ws[i].hThread == NULL && ws[i].Terminate == TRUE, "worker %d not terminated and reaped", i);

    /* One stubborn worker among pollers: WAIT_TIMEOUT; the others are reaped. */
    atomic_int release = 0;
    for (int i = 0; i < N; i++) {
        CHECK_CODE(i == 2 ? ClusWorkerCreate(&ws[i], Stubborn, &release)
                          : ClusWorkerCreate(&ws[i], Poller, NULL),
                   ERROR_SUCCESS, "ClusWorkerCreate again");
    }
    CHECK_CODE(ClusWorkersTerminate(ptrs, N, 50, FALSE), WAIT_TIMEOUT,
               "ClusWorkersTerminate with a stubborn worker");
    for (int i = 0; i < N; i++)
        CHECK((ws[i].hThread != NULL) == (i == 2), "worker %d: hThread %p after the timeout", i,
              ws[i].hThread);
    atomic_store(&release, 1);
    CHECK_CODE(ClusWorkersTerminate(ptrs, N, INFINITE, TRUE), ERROR_SUCCESS,
               "ClusWorkersTerminate(INFINITE, wait only)");
    for (int i = 0; i < N; i++)
        CHECK(ws[i].hThread == NULL, "worker %d not reaped", i);
}

/* ---- under load ------------------------------------------------------------ */

enum { RESOURCES = 3, DRIVERS = 4, CYCLES = 200 };
static RESOURCE shared[RESOURCES];

static void *driver(void *arg) {
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned seed = id * 2654435761u + 1;
    for (unsigned i = 0; i < CYCLES; i++) {
        seed = seed * 1103515245u + 12345u;
        RESOURCE *res = &shared[(id + i) % RESOURCES];
        switch ((seed >> 16) % 4) {
        case 0:
        case 1:
            CHECK_CODE(Online(res), ERROR_IO_PENDING, "Online under load");
            break;
        case 2:
            Terminate(res);
            break;
        default: {
            DWORD s = ClusWorkerTerminateEx(&res->pending, (seed >> 20) % 3, (seed >> 24) & 1);
            CHECK(s == ERROR_SUCCESS || s == WAIT_TIMEOUT,
                  "ClusWorkerTerminateEx under load returned %u", (unsigned)s);
            break;
        }
        }
    }
    return NULL;
}

static void under_load(void) {
    for (int r = 0; r < RESOURCES; r++)
        resource_init(&shared[r], 200 + 300 * r);
    pthread_t threads[DRIVERS];
    for (int t = 0; t < DRIVERS; t++)
        CHECK(pthread_create(&threads[t], NULL, driver, (void *)(uintptr_t)t) == 0, "pthread_create");
    for (int t = 0; t < DRIVERS; t++)
        pthread_join(threads[t], NULL);
    PCLUS_WORKER all[RESOURCES];
    for (int r = 0; r < RESOURCES; r++)
        all[r] = &shared[r].pending;
    CHECK_CODE(ClusWorkersTerminate(all, RESOURCES, INFINITE, FALSE), ERROR_SUCCESS,
               "ClusWorkersTerminate at the end of the load");
    long creates = 0, busy = 0;
    unsigned progress = 0;
    for (int r = 0; r < RESOURCES; r++) {
        creates += atomic_load(&shared[r].creates);
        busy += atomic_load(&shared[r].busy);
        progress += atomic_load(&shared[r].checkpoint);
        resource_check_idle(&shared[r], "under load");
    }
    CHECK(creates > 0, "no Online succeeded under load");
    printf("under load: %d threads x %d cycles on %d resources: %ld workers created, "
           "%ld creates retried after a concurrent Terminate, %u checkpoints\n",
           DRIVERS, CYCLES, RESOURCES, creates, busy, progress);
}

/* ---- main ------------------------------------------------------------------ */

int main(void) {
    static const struct {
        const char *name;
        void (*run)(void);
    } scenarios[] = {
        {"null pointers", null_pointers},
        {"ClipBook Online/Offline on one resource", clipbook_online_offline},
        {"create on a running worker", create_on_a_running_worker},
        {"TerminateEx times out, then succeeds", terminate_ex_times_out_then_succeeds},
        {"the first terminator waits, later ones return", first_terminator_waits_later_ones_return},
        {"self-terminate", self_terminate},
        {"ClusWorkersTerminate", workers_terminate},
        {"ClipBook under load", under_load},
    };
    /* A hang is a failure too: SIGALRM ends the process with a non-zero
     * status. */
    alarm(300);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        long before = atomic_load(&check_failures);
        scenarios[i].run();
        int ok = atomic_load(&check_failures) == before;
        printf("%s: %s\n", ok ? "ok  " : "FAIL", scenarios[i].name);
        if (ok)
            passed++;
        else
            failed++;
    }
    printf("%ld checks\n", atomic_load(&checks));
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
