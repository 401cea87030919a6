/*
 * clipbook_resdll.c: the ClipBook resource DLL, as a complete resource
 * library for clusworker-host (type "resdll"): Startup, Open, Close, an
 * Online that goes pending with a ClusWorker worker and reports checkpoints
 * through SetResourceStatus, an Offline that does the same, Terminate,
 * LooksAlive and IsAlive. Written against include/clusworker_resapi.h and
 * include/clusworker.h only; capi/tests/clipbook.c drives the same pattern
 * directly, this file is loaded and driven by the host.
 *
 * Build: cc -std=c11 -shared -fPIC -pthread -Iinclude clipbook_resdll.c
 *            -lclusworker_capi -o libclipbook.so
 *
 * Resource type: "ClipBook Server". Parameters (config
 * [resource.params.parameters], all optional):
 *   Steps    checkpoints an Online or Offline reports before it is done (3)
 *   StepMs   milliseconds between two checkpoints (50)
 *   Stalled  1: Online goes pending and never reports, until terminated,
 *            so PendingTimeout fails it (0)
 *   FailAfterPolls  N > 0: LooksAlive and IsAlive answer FALSE from their
 *            Nth call on (0: never)
 *   OnlineWaitFile  a path (ASCII): Online itself waits until that file
 *            exists before it goes pending (for tests of a Terminate that
 *            runs while Online does)
 * Every entry point logs one line through LogEvent ("Terminate called",
 * ...), which the host's log shows with the resource's name.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clusworker.h"
#include "clusworker_resapi.h"

#define CLIPBOOK_RESNAME CLUSRES_WIDE("ClipBook Server")

/* What Startup was given: the host's callbacks. */
static PSET_RESOURCE_STATUS_ROUTINE g_SetResourceStatus;
static PLOG_EVENT_ROUTINE g_LogEvent;

typedef struct CLIPBOOK_RESOURCE {
    RESOURCE_HANDLE ResourceHandle; /* for SetResourceStatus and LogEvent */
    CLUS_WORKER PendingThread;      /* the pending Online's or Offline's worker */
    pthread_mutex_t Lock;           /* serialises creates against Terminate */
    atomic_int State;               /* a CLUSTER_RESOURCE_STATE */
    DWORD Steps, StepMs, FailAfterPolls;
    atomic_uint Polls;
    BOOL Stalled;
    char WaitFile[256]; /* OnlineWaitFile, or "" */
} CLIPBOOK_RESOURCE;

/* Sleeps StepMs in 5 ms slices; FALSE as soon as terminate is requested. */
static BOOL ClipBookSleep(PCLUS_WORKER worker, DWORD ms) {
    for (DWORD slept = 0; slept < ms; slept += 5) {
        if (ClusWorkerCheckTerminate(worker))
            return FALSE;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return !ClusWorkerCheckTerminate(worker);
}

/* The worker of a pending operation: Steps checkpoints in the pending
 * state, then the target state. A stalled Online reports nothing. */
static DWORD WINAPI ClipBookPendingThread(PCLUS_WORKER worker, CLIPBOOK_RESOURCE *res,
                                          CLUSTER_RESOURCE_STATE pending,
                                          CLUSTER_RESOURCE_STATE target) {
    RESOURCE_STATUS status;
    ResUtilInitializeResourceStatus(&status);
    if (pending == ClusterResourceOnlinePending && res->Stalled) {
        ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_WARNING,
                         "ClipBook: online stalled (no status reports)");
        while (ClipBookSleep(worker, 1000)) {
        }
        return ERROR_OPERATION_ABORTED;
    }
    for (DWORD checkpoint = 1; checkpoint <= res->Steps; checkpoint++) {
        if (!ClipBookSleep(worker, res->StepMs))
            return ERROR_OPERATION_ABORTED;
        status.ResourceState = pending;
        status.CheckPoint = checkpoint;
        DWORD answer = g_SetResourceStatus(res->ResourceHandle, &status);
        ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_INFORMATION,
                         "ClipBook: checkpoint %u answered %s", (unsigned)checkpoint,
                         answer == ResourceExitStateContinue ? "Continue" : "Terminate");
        if (answer == ResourceExitStateTerminate)
            return ERROR_OPERATION_ABORTED;
    }
    if (!ClipBookSleep(worker, res->StepMs))
        return ERROR_OPERATION_ABORTED;
    atomic_store(&res->State, target);
    status.ResourceState = target;
    status.CheckPoint = res->Steps + 1;
    g_SetResourceStatus(res->ResourceHandle, &status);
    ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_INFORMATION,
                     "ClipBook: %s after %u checkpoints",
                     target == ClusterResourceOnline ? "online" : "offline",
                     (unsigned)res->Steps);
    return ERROR_SUCCESS;
}

static DWORD WINAPI ClipBookOnlineThread(PCLUS_WORKER worker, LPVOID parameter) {
    return ClipBookPendingThread(worker, parameter, ClusterResourceOnlinePending,
                                 ClusterResourceOnline);
}

static DWORD WINAPI ClipBookOfflineThread(PCLUS_WORKER worker, LPVOID parameter) {
    return ClipBookPendingThread(worker, parameter, ClusterResourceOfflinePending,
                                 ClusterResourceOffline);
}

/* Stops the previous pending worker, starts a new one on the same
 * CLUS_WORKER (as the ClipBook sample does), returns ERROR_IO_PENDING. */
static DWORD ClipBookGoPending(CLIPBOOK_RESOURCE *res, PWORKER_START_ROUTINE routine,
                               CLUSTER_RESOURCE_STATE pending) {
    pthread_mutex_lock(&res->Lock);
    ClusWorkerTerminate(&res->PendingThread);
    atomic_store(&res->State, pending);
    DWORD status = ClusWorkerCreate(&res->PendingThread, routine, res);
    while (status == ERROR_INVALID_STATE) {
        /* A concurrent Terminate is still winding the old worker down. */
        ClusWorkerTerminateEx(&res->PendingThread, INFINITE, FALSE);
        status = ClusWorkerCreate(&res->PendingThread, routine, res);
    }
    pthread_mutex_unlock(&res->Lock);
    if (status != ERROR_SUCCESS) {
        atomic_store(&res->State, ClusterResourceFailed);
        ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_ERROR,
                         "ClipBook: cannot start a worker: %u", (unsigned)status);
        return status;
    }
    return ERROR_IO_PENDING;
}

/* ---- the entry points ------------------------------------------------------ */

static RESID WINAPI ClipBookOpen(LPCWSTR ResourceName, PCLUSRES_PARAMETERS ResourceKey,
                                 RESOURCE_HANDLE ResourceHandle) {
    (void)ResourceName;
    CLIPBOOK_RESOURCE *res = calloc(1, sizeof *res); /* a zeroed CLUS_WORKER */
    if (res == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    DWORD stalled = 0;
    if (ClusResGetDwordValue(ResourceKey, CLUSRES_WIDE("Steps"), &res->Steps, 3) != ERROR_SUCCESS ||
        ClusResGetDwordValue(ResourceKey, CLUSRES_WIDE("StepMs"), &res->StepMs, 50) !=
            ERROR_SUCCESS ||
        ClusResGetDwordValue(ResourceKey, CLUSRES_WIDE("Stalled"), &stalled, 0) != ERROR_SUCCESS ||
        ClusResGetDwordValue(ResourceKey, CLUSRES_WIDE("FailAfterPolls"), &res->FailAfterPolls,
                             0) != ERROR_SUCCESS) {
        ClusResLogEventf(g_LogEvent, ResourceHandle, LOG_ERROR,
                         "ClipBook: Steps, StepMs, Stalled and FailAfterPolls must be numbers");
        free(res);
        errno = EINVAL;
        return NULL;
    }
    res->Stalled = stalled != 0;
    LPCWSTR wait = ClusResGetSzValue(ResourceKey, CLUSRES_WIDE("OnlineWaitFile"));
    for (size_t i = 0; wait != NULL && wait[i] != 0 && i + 1 < sizeof res->WaitFile; i++)
        res->WaitFile[i] = wait[i] < 0x80 ? (char)wait[i] : '?';
    res->ResourceHandle = ResourceHandle;
    pthread_mutex_init(&res->Lock, NULL);
    atomic_store(&res->State, ClusterResourceOffline);
    ClusResLogEventf(g_LogEvent, ResourceHandle, LOG_INFORMATION,
                     "ClipBook: Open (steps %u, step %u ms%s)", (unsigned)res->Steps,
                     (unsigned)res->StepMs, res->Stalled ? ", stalled" : "");
    return res;
}

static VOID WINAPI ClipBookClose(RESID ResourceId) {
    CLIPBOOK_RESOURCE *res = ResourceId;
    ClusWorkerTerminate(&res->PendingThread);
    ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_INFORMATION, "ClipBook: Close called");
    pthread_mutex_destroy(&res->Lock);
    free(res);
}

static DWORD WINAPI ClipBookOnline(RESID ResourceId, LPHANDLE EventHandle) {
    (void)EventHandle;
    CLIPBOOK_RESOURCE *res = ResourceId;
    ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_INFORMATION, "ClipBook: Online called");
    if (res->WaitFile[0] != 0) {
        while (access(res->WaitFile, F_OK) != 0) {
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
        }
        ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_INFORMATION,
                         "ClipBook: Online found %s", res->WaitFile);
    }
    return ClipBookGoPending(res, ClipBookOnlineThread, ClusterResourceOnlinePending);
}

static DWORD WINAPI ClipBookOffline(RESID ResourceId) {
    CLIPBOOK_RESOURCE *res = ResourceId;
    ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_INFORMATION, "ClipBook: Offline called");
    return ClipBookGoPending(res, ClipBookOfflineThread, ClusterResourceOfflinePending);
}

/* May run while Online or Offline runs: ClusWorkerTerminate is safe to race
 * (the first caller waits, later ones return at once). */
static VOID WINAPI ClipBookTerminate(RESID ResourceId) {
    CLIPBOOK_RESOURCE *res = ResourceId;
    ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_WARNING, "ClipBook: Terminate called");
    ClusWorkerTerminate(&res->PendingThread);
    atomic_store(&res->State, ClusterResourceOffline);
}

static BOOL WINAPI ClipBookLooksAlive(RESID ResourceId) {
    CLIPBOOK_RESOURCE *res = ResourceId;
    unsigned polls = atomic_fetch_add(&res->Polls, 1) + 1;
    if (res->FailAfterPolls != 0 && polls >= res->FailAfterPolls) {
        ClusResLogEventf(g_LogEvent, res->ResourceHandle, LOG_ERROR,
                         "ClipBook: health poll %u fails", polls);
        return FALSE;
    }
    return atomic_load(&res->State) == ClusterResourceOnline;
}

static BOOL WINAPI ClipBookIsAlive(RESID ResourceId) {
    return ClipBookLooksAlive(ResourceId);
}

static CLRES_V1_FUNCTION_TABLE(g_ClipBookFunctionTable, CLRES_VERSION_V1_00, ClipBook, NULL, NULL,
                               NULL, NULL);

/* ---- Startup --------------------------------------------------------------- */

static int ClipBookIsOurType(LPCWSTR type) {
    LPCWSTR ours = CLIPBOOK_RESNAME;
    return type != NULL && ClusResNameEqual(type, ours);
}

DWORD WINAPI Startup(LPCWSTR ResourceType, DWORD MinVersionSupported, DWORD MaxVersionSupported,
                     PSET_RESOURCE_STATUS_ROUTINE SetResourceStatus, PLOG_EVENT_ROUTINE LogEvent,
                     PCLRES_FUNCTION_TABLE *FunctionTable) {
    if (MinVersionSupported > CLRES_VERSION_V1_00 || MaxVersionSupported < CLRES_VERSION_V1_00)
        return ERROR_REVISION_MISMATCH;
    if (!ClipBookIsOurType(ResourceType))
        return ERROR_MOD_NOT_FOUND;
    if (g_LogEvent == NULL) {
        g_LogEvent = LogEvent;
        g_SetResourceStatus = SetResourceStatus;
    }
    *FunctionTable = &g_ClipBookFunctionTable;
    return ERROR_SUCCESS;
}
