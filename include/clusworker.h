/*
 * clusworker.h: the ClusWorker* functions of Windows' resapi.h, for resource
 * DLLs ported to clusworker (Linux and other Unix; Windows later).
 *
 * Written by hand from Microsoft's public documentation of resapi.h; the
 * Rust side (src/resapi/slot.rs, capi/src/lib.rs) asserts the same layout
 * at compile time, and CI compiles capi/tests/clipbook.c against this file.
 * Link with a library built by
 *     cargo build -p clusworker-capi --release
 * target/release/libclusworker_capi.a (add -pthread -ldl -lm) or
 * libclusworker_capi.so.
 *
 * Rules (see README.md, "Porting a resource DLL"):
 *  - Zero a CLUS_WORKER before its first ClusWorkerCreate (= {0}, memset,
 *    or static storage). Never write its fields; hThread is an opaque
 *    pointer, not a HANDLE. Terminate is 1 once a terminate was requested
 *    through the struct since the last create.
 *  - A CLUS_WORKER may be re-created once its worker exited or was
 *    terminated; a create while its worker runs returns ERROR_INVALID_STATE.
 *  - Terminate the worker before freeing or reusing the struct's memory.
 *  - Null pointers return ERROR_INVALID_PARAMETER (or do nothing).
 */
#ifndef CLUSWORKER_H
#define CLUSWORKER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef _WIN32
#include <windows.h>
#else
typedef uint32_t DWORD;
typedef int32_t BOOL;
typedef void *HANDLE;
typedef void *PVOID;
typedef void *LPVOID;
#ifndef VOID
#define VOID void
#endif
#ifndef WINAPI
#define WINAPI
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#endif

/* Return codes (the Windows values). A failed thread start returns the OS
 * code instead: on Unix, the errno of the failed pthread call. */
#ifndef ERROR_SUCCESS
#define ERROR_SUCCESS 0u
#endif
#ifndef ERROR_INVALID_PARAMETER
#define ERROR_INVALID_PARAMETER 87u
#endif
#ifndef WAIT_TIMEOUT
#define WAIT_TIMEOUT 258u
#endif
#ifndef ERROR_POSSIBLE_DEADLOCK
#define ERROR_POSSIBLE_DEADLOCK 1131u
#endif
#ifndef ERROR_INVALID_STATE
#define ERROR_INVALID_STATE 5023u
#endif
#ifndef INFINITE
#define INFINITE 0xFFFFFFFFu
#endif

#ifdef __cplusplus
#define CLUSWORKER_STATIC_ASSERT static_assert
#else
#define CLUSWORKER_STATIC_ASSERT _Static_assert
#endif

/* The documented layout, plus a named third member where 64-bit Windows
 * has padding, so that "= {0}" zeroes it too. Treat all members as
 * read-only. */
typedef struct _CLUS_WORKER {
    HANDLE hThread;          /* opaque: non-NULL while the struct holds a worker */
    BOOL Terminate;          /* terminate requested since the last create */
    DWORD clusworkerPrivate; /* generation and terminate-in-progress flag */
} CLUS_WORKER, *PCLUS_WORKER, *LPCLUS_WORKER;

CLUSWORKER_STATIC_ASSERT(offsetof(CLUS_WORKER, hThread) == 0, "hThread at offset 0");
CLUSWORKER_STATIC_ASSERT(offsetof(CLUS_WORKER, Terminate) == sizeof(void *),
               "Terminate right after hThread");
CLUSWORKER_STATIC_ASSERT(offsetof(CLUS_WORKER, clusworkerPrivate) == sizeof(void *) + 4,
               "the private word right after Terminate");
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
CLUSWORKER_STATIC_ASSERT(sizeof(CLUS_WORKER) == 16, "CLUS_WORKER is 16 bytes on 64-bit targets");
#endif

/* The worker routine: gets its CLUS_WORKER and the parameter given to
 * ClusWorkerCreate; returns its exit code. */
typedef DWORD(WINAPI *PWORKER_START_ROUTINE)(PCLUS_WORKER pWorker, LPVOID lpThreadParameter);

/* Starts a worker running lpStartAddress(lpWorker, lpParameter).
 * ERROR_SUCCESS; ERROR_INVALID_STATE if the struct's worker is still running
 * or being terminated (the struct is unchanged); ERROR_INVALID_PARAMETER for
 * a NULL pointer; or the OS code of a failed thread start. */
DWORD WINAPI ClusWorkerCreate(PCLUS_WORKER lpWorker, PWORKER_START_ROUTINE lpStartAddress,
                              PVOID lpParameter);

/* TRUE if terminate was requested through the struct since its worker was
 * created: one load. FALSE for NULL. */
BOOL WINAPI ClusWorkerCheckTerminate(PCLUS_WORKER lpWorker);

/* The first call requests terminate and waits for the worker to exit (then
 * the struct is empty); later calls, while it waits, return at once. On the
 * worker's own thread: requests and returns at once. */
VOID WINAPI ClusWorkerTerminate(PCLUS_WORKER lpWorker);

/* Requests terminate unless WaitOnly, then waits up to the timeout
 * (INFINITE: no limit). ERROR_SUCCESS (the worker exited; the struct is
 * empty), WAIT_TIMEOUT (still running; nothing lost),
 * ERROR_POSSIBLE_DEADLOCK (the worker's own thread), ERROR_INVALID_PARAMETER
 * (NULL). */
DWORD WINAPI ClusWorkerTerminateEx(PCLUS_WORKER ClusWorker, DWORD TimeoutInMilliseconds,
                                   BOOL WaitOnly);

/* ClusWorkers is an array of ClusWorkersCount pointers. Requests terminate
 * of all first (unless WaitOnly), then waits for all under one deadline.
 * ERROR_SUCCESS, WAIT_TIMEOUT (at least one still running),
 * ERROR_POSSIBLE_DEADLOCK, or ERROR_INVALID_PARAMETER (a NULL array or
 * entry; nothing was done). */
DWORD WINAPI ClusWorkersTerminate(PCLUS_WORKER *ClusWorkers, const size_t ClusWorkersCount,
                                  DWORD TimeoutInMilliseconds, BOOL WaitOnly);

#ifdef __cplusplus
}
#endif

#endif /* CLUSWORKER_H */
