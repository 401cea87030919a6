/*
 * resdll_bad.c: resource libraries that break the rules of
 * include/clusworker_resapi.h, one per macro, for the host's tests
 * (host/tests/resdll*.rs) of how clusworker-host refuses them:
 *
 *   BAD_NO_STARTUP      exports no Startup
 *   BAD_VERSIONS        supports only version 0x200: Startup returns
 *                       ERROR_REVISION_MISMATCH for the host's 0x100..0x100
 *   BAD_TABLE_VERSION   ignores the range and returns a table of version 0x200
 *   BAD_TABLE_SIZE      returns a table whose TableSize is too small
 *   BAD_NULL_ENTRY      returns a table whose IsAlive is NULL
 *   BAD_NO_TABLE        returns ERROR_SUCCESS and no table
 *   BAD_OPEN            Open returns NULL with errno EACCES
 *   BAD_REPORTS         a working library whose Open and Online misuse
 *                       SetResourceStatus, logging each answer through LogEvent
 *                       as "report <what> -> <answer>"; a resource named
 *                       "failing" then reports ClusterResourceFailed while
 *                       online
 *
 * None of these needs libclusworker_capi: Online is synchronous.
 * Resource type: "Bad".
 */
#include <errno.h>
#include <stdlib.h>

#include "clusworker_resapi.h"

PSET_RESOURCE_STATUS_ROUTINE g_SetResourceStatus; /* not static: see below */
static PLOG_EVENT_ROUTINE g_LogEvent;
/* BAD_REPORTS: the handle of the last resource closed. */
static RESOURCE_HANDLE g_ClosedHandle;

typedef struct {
    RESOURCE_HANDLE Handle;
    int Online;
    int Failing;
} BAD_RESOURCE;

#ifdef BAD_REPORTS
static DWORD Report(RESOURCE_HANDLE handle, const char *what, CLUSTER_RESOURCE_STATE state,
                    DWORD checkpoint, int null_status) {
    RESOURCE_STATUS status;
    ResUtilInitializeResourceStatus(&status);
    status.ResourceState = state;
    status.CheckPoint = checkpoint;
    DWORD answer = g_SetResourceStatus(handle, null_status ? NULL : &status);
    ClusResLogEventf(g_LogEvent, handle, LOG_INFORMATION, "report %s -> %u", what,
                     (unsigned)answer);
    return answer;
}
#endif

static RESID WINAPI BadOpen(LPCWSTR ResourceName, PCLUSRES_PARAMETERS ResourceKey,
                            RESOURCE_HANDLE ResourceHandle) {
    (void)ResourceKey;
#ifdef BAD_OPEN
    (void)ResourceName;
    (void)ResourceHandle;
    errno = EACCES;
    return NULL;
#else
    BAD_RESOURCE *res = calloc(1, sizeof *res);
    if (res == NULL)
        return NULL;
    res->Handle = ResourceHandle;
    res->Failing = ClusResNameEqual(ResourceName, CLUSRES_WIDE("failing"));
#ifdef BAD_REPORTS
    Report(ResourceHandle, "before_any_online", ClusterResourceOnlinePending, 1, 0);
#endif
    return res;
#endif
}

static VOID WINAPI BadClose(RESID id) {
    BAD_RESOURCE *res = id;
    g_ClosedHandle = res->Handle;
    ClusResLogEventf(g_LogEvent, res->Handle, LOG_INFORMATION, "Close called");
    free(res);
}

static DWORD WINAPI BadOnline(RESID id, LPHANDLE event) {
    (void)event;
    BAD_RESOURCE *res = id;
#ifdef BAD_REPORTS
    RESOURCE_HANDLE h = res->Handle;
    Report((RESOURCE_HANDLE)(uintptr_t)0x7777, "unknown_handle", ClusterResourceOnlinePending, 1, 0);
    if (g_ClosedHandle != NULL)
        Report(g_ClosedHandle, "closed_handle", ClusterResourceOnlinePending, 1, 0);
    Report(h, "null_status", ClusterResourceOnlinePending, 1, 1);
    Report(h, "unknown_state", (CLUSTER_RESOURCE_STATE)77, 1, 0);
    Report(h, "wrong_state", ClusterResourceOfflinePending, 1, 0);
    Report(h, "checkpoint_5", ClusterResourceOnlinePending, 5, 0);
    Report(h, "checkpoint_5_again", ClusterResourceOnlinePending, 5, 0);
    Report(h, "checkpoint_3", ClusterResourceOnlinePending, 3, 0);
    Report(h, "online", ClusterResourceOnline, 6, 0);
    Report(h, "after_online", ClusterResourceOnlinePending, 7, 0);
    if (res->Failing)
        Report(h, "failed_while_online", ClusterResourceFailed, 8, 0);
    res->Online = 1;
    return ERROR_IO_PENDING;
#else
    res->Online = 1;
    return ERROR_SUCCESS;
#endif
}

static DWORD WINAPI BadOffline(RESID id) {
    BAD_RESOURCE *res = id;
    res->Online = 0;
    return ERROR_SUCCESS;
}

static VOID WINAPI BadTerminate(RESID id) {
    BAD_RESOURCE *res = id;
    res->Online = 0;
}

static BOOL WINAPI BadLooksAlive(RESID id) {
    BAD_RESOURCE *res = id;
    return res->Online;
}

#ifdef BAD_NULL_ENTRY
#define BadIsAlive NULL
#else
static BOOL WINAPI BadIsAlive(RESID id) {
    return BadLooksAlive(id);
}
#endif

/* Not static: BAD_NO_STARTUP leaves it unused. */
CLRES_V1_FUNCTION_TABLE(g_BadFunctionTable, CLRES_VERSION_V1_00, Bad, NULL, NULL, NULL,
                               NULL);

#ifndef BAD_NO_STARTUP
DWORD WINAPI Startup(LPCWSTR ResourceType, DWORD MinVersionSupported, DWORD MaxVersionSupported,
                     PSET_RESOURCE_STATUS_ROUTINE SetResourceStatus, PLOG_EVENT_ROUTINE LogEvent,
                     PCLRES_FUNCTION_TABLE *FunctionTable) {
    (void)MinVersionSupported;
    (void)MaxVersionSupported;
#ifdef BAD_VERSIONS
    if (MinVersionSupported > 0x200 || MaxVersionSupported < 0x200)
        return ERROR_REVISION_MISMATCH;
#elif !defined(BAD_TABLE_VERSION)
    if (MinVersionSupported > CLRES_VERSION_V1_00 || MaxVersionSupported < CLRES_VERSION_V1_00)
        return ERROR_REVISION_MISMATCH;
#endif
    if (!ClusResNameEqual(ResourceType, CLUSRES_WIDE("Bad")))
        return ERROR_MOD_NOT_FOUND;
    g_SetResourceStatus = SetResourceStatus;
    g_LogEvent = LogEvent;
#if defined(BAD_TABLE_VERSION)
    g_BadFunctionTable.Version = 0x200;
#elif defined(BAD_TABLE_SIZE)
    g_BadFunctionTable.TableSize = 8 + 7 * sizeof(void *);
#endif
#ifdef BAD_NO_TABLE
    *FunctionTable = NULL;
#else
    *FunctionTable = &g_BadFunctionTable;
#endif
    return ERROR_SUCCESS;
}
#endif
