/*
 * clusworker_resapi.h: the resource-DLL half of Windows' resapi.h, for
 * resource libraries loaded by clusworker-host (type "resdll").
 *
 * Written by hand from Microsoft's public documentation of resapi.h: the
 * Startup entry point, the version-1 function table CLRES_FUNCTION_TABLE,
 * RESOURCE_STATUS, CLUSTER_RESOURCE_STATE and the SetResourceStatus and
 * LogEvent callbacks keep their names, members and order. The host's side
 * is host/src/types/resdll/ffi.rs, which asserts the same layout at compile
 * time; capi/tests/clipbook_resdll.c is a complete library written against
 * this file.
 *
 * A resource library is a shared object (.so) that exports
 *
 *     DWORD Startup(LPCWSTR ResourceType, DWORD MinVersionSupported,
 *                   DWORD MaxVersionSupported,
 *                   PSET_RESOURCE_STATUS_ROUTINE SetResourceStatus,
 *                   PLOG_EVENT_ROUTINE LogEvent,
 *                   PCLRES_FUNCTION_TABLE *FunctionTable);
 *
 * and links the ClusWorker* functions from libclusworker_capi (clusworker.h).
 * Build it with  cc -shared -fPIC -Iinclude lib.c -lclusworker_capi.
 *
 * Where Linux forces a difference from Windows (each is marked LINUX below):
 *
 *  1. WCHAR is 16-bit UTF-16, as on Windows, not Linux's 32-bit wchar_t:
 *     write u"text" (C11 / C++11) where Windows writes L"text"
 *     (CLUSRES_WIDE("text") expands to u"text"). Every LPCWSTR is
 *     NUL-terminated UTF-16.
 *  2. Open's second argument is a PCLUSRES_PARAMETERS, a read-only block of
 *     the resource's configured parameters (the config's
 *     [resource.params.parameters]), instead of an HKEY to the cluster
 *     database. Read it with ClusResGetDwordValue / ClusResGetSzValue below
 *     (ResUtilGetDwordValue / ResUtilGetSzValue with the HKEY replaced). It
 *     stays valid, unchanged, until Close returns; nothing is freed by the
 *     library.
 *  3. LogEvent is not variadic: it takes a finished UTF-16 message, not a
 *     FormatMessage format and arguments. (Rust, the host's language, cannot
 *     define a C variadic function on stable, and Linux has no printf for
 *     16-bit strings.) ClusResLogEventf below formats with printf's rules
 *     into UTF-8, converts and calls it.
 *  4. WINAPI is the platform's C calling convention (there is no __stdcall).
 *  5. Online's EventHandle out-parameter is accepted and ignored (Windows
 *     lets a resource hand the monitor an event to watch for failures):
 *     report a failure with SetResourceStatus(ClusterResourceFailed)
 *     instead. RESOURCE_STATUS.EventHandle and .WaitHint are ignored too:
 *     PendingTimeout alone bounds the wait between two reports.
 *  6. Open reports a failure by returning NULL; there is no SetLastError.
 *     Set errno (any POSIX code) before returning NULL and the host reports
 *     it with the failure.
 *  7. Only the version-1 table (CLRES_VERSION_V1_00) exists: the host passes
 *     MinVersionSupported = MaxVersionSupported = CLRES_VERSION_V1_00, and
 *     refuses a table whose Version is not in that range or whose TableSize
 *     is not CLRES_V1_FUNCTION_SIZE. Arbitrate, Release (quorum resources),
 *     ResourceControl and ResourceTypeControl are part of the layout but
 *     never called; they may be NULL. Open, Close, Online, Offline,
 *     Terminate, LooksAlive and IsAlive must not be.
 *  8. RESOURCE_HANDLE is an opaque token, not a pointer: keep the one Open
 *     was given and pass it back to SetResourceStatus and LogEvent. A token
 *     that is not (or no longer) a resource's is refused with a logged
 *     error; it is never dereferenced.
 *  9. One host process loads the library for each resource type it hosts,
 *     once: Startup runs once per resource type, before the first Open. The
 *     library is never unloaded. A library that crashes takes its host
 *     process down (Windows' resource monitor process): give a library its
 *     own clusworker-host (its own config and socket) to isolate it.
 *
 * SetResourceStatus, as documented, returns ResourceExitStateContinue or
 * ResourceExitStateTerminate (stop the pending operation's work). The host's
 * rules: a report is for the resource's pending Online or Offline; a
 * pending state (ClusterResourceOnlinePending / OfflinePending) must carry
 * a CheckPoint greater than the last, and restarts PendingTimeout; the
 * target state (Online / Offline) or ClusterResourceFailed ends the
 * operation. A refused report is logged with its reason and changes
 * nothing; it answers ResourceExitStateContinue when a correct report may
 * follow (a checkpoint that did not increase, a state the operation cannot
 * reach, an unknown state value, a NULL status) and
 * ResourceExitStateTerminate when nothing is listening (an unknown handle,
 * nothing pending, the operation ended or timed out).
 */
#ifndef CLUSWORKER_RESAPI_H
#define CLUSWORKER_RESAPI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clusworker.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ----------------------------------------------------------------- */

#ifndef _WIN32
/* LINUX (1): UTF-16 code units. In C, char16_t is uint_least16_t, so u""
 * literals are arrays of this type; C++11 has a distinct char16_t. */
#ifdef __cplusplus
typedef char16_t WCHAR;
#else
typedef uint16_t WCHAR;
#endif
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef DWORD *LPDWORD;
typedef HANDLE *LPHANDLE;
#endif

#define CLUSRES_WIDE_(s) u##s
/* A UTF-16 literal: CLUSRES_WIDE("ClipBook Server") is u"ClipBook Server". */
#define CLUSRES_WIDE(s) CLUSRES_WIDE_(s)

/* Open's result: the library's own pointer for one resource. */
typedef PVOID RESID;
/* LINUX (8): the host's opaque token for one resource. */
typedef HANDLE RESOURCE_HANDLE;

/* Return codes used by the entry points and the host (the Windows values). */
#ifndef ERROR_FILE_NOT_FOUND
#define ERROR_FILE_NOT_FOUND 2u
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
#define ERROR_NOT_ENOUGH_MEMORY 8u
#endif
#ifndef ERROR_GEN_FAILURE
#define ERROR_GEN_FAILURE 31u
#endif
#ifndef ERROR_MOD_NOT_FOUND
#define ERROR_MOD_NOT_FOUND 126u
#endif
#ifndef ERROR_OPERATION_ABORTED
#define ERROR_OPERATION_ABORTED 995u
#endif
#ifndef ERROR_IO_PENDING
#define ERROR_IO_PENDING 997u
#endif
#ifndef ERROR_REVISION_MISMATCH
#define ERROR_REVISION_MISMATCH 1306u
#endif
#ifndef ERROR_INVALID_DATATYPE
#define ERROR_INVALID_DATATYPE 1804u
#endif
#ifndef ERROR_RESOURCE_FAILED
#define ERROR_RESOURCE_FAILED 5038u
#endif

/* ---- states and status ----------------------------------------------------- */

typedef enum CLUSTER_RESOURCE_STATE {
    ClusterResourceStateUnknown = -1,
    ClusterResourceInherited = 0,
    ClusterResourceInitializing = 1,
    ClusterResourceOnline = 2,
    ClusterResourceOffline = 3,
    ClusterResourceFailed = 4,
    ClusterResourcePending = 128,
    ClusterResourceOnlinePending = 129,
    ClusterResourceOfflinePending = 130
} CLUSTER_RESOURCE_STATE;
/* The host accepts Online, Offline, Failed, OnlinePending, OfflinePending
 * (and Unknown, which no operation reaches) in a report; Inherited,
 * Initializing and Pending are refused as unknown to it. */

typedef struct _RESOURCE_STATUS {
    CLUSTER_RESOURCE_STATE ResourceState;
    DWORD CheckPoint;  /* > the last one, in a pending state */
    DWORD WaitHint;    /* LINUX (5): ignored */
    HANDLE EventHandle; /* LINUX (5): ignored */
} RESOURCE_STATUS, *PRESOURCE_STATUS;

/* Initialises a RESOURCE_STATUS, as resapi.h's macro does. */
#define ResUtilInitializeResourceStatus(_resource_status_)                     \
    memset((_resource_status_), 0, sizeof(RESOURCE_STATUS))

typedef enum _RESOURCE_EXIT_STATE {
    ResourceExitStateContinue = 0,
    ResourceExitStateTerminate = 1,
    ResourceExitStateMax = 2
} RESOURCE_EXIT_STATE;

typedef enum LOG_LEVEL {
    LOG_INFORMATION = 0,
    LOG_WARNING = 1,
    LOG_ERROR = 2,
    LOG_SEVERE = 3
} LOG_LEVEL, *PLOG_LEVEL;

/* ---- callbacks the host passes to Startup ------------------------------- */

/* Reports the pending operation's progress; returns a RESOURCE_EXIT_STATE.
 * Any thread may call it. */
typedef DWORD(WINAPI *PSET_RESOURCE_STATUS_ROUTINE)(RESOURCE_HANDLE ResourceHandle,
                                                    PRESOURCE_STATUS ResourceStatus);

/* LINUX (3): Message is a finished UTF-16 text (a NULL is ignored). A NULL
 * or unknown ResourceHandle logs without a resource's name. */
typedef VOID(WINAPI *PLOG_EVENT_ROUTINE)(RESOURCE_HANDLE ResourceHandle, LOG_LEVEL LogLevel,
                                         LPCWSTR Message);

/* ---- the parameters handle (LINUX (2)) ----------------------------------- */

#ifndef REG_SZ
#define REG_SZ 1u
#endif
#ifndef REG_DWORD
#define REG_DWORD 4u
#endif

/* One configured parameter. A TOML/JSON integer (0 to 4294967295) or
 * boolean (1 / 0) is REG_DWORD; a string is REG_SZ. String holds the value
 * as text for both (decimal for a REG_DWORD). */
typedef struct _CLUSRES_PARAMETER {
    LPCWSTR Name;
    DWORD Type;   /* REG_SZ or REG_DWORD */
    DWORD Dword;  /* the value, when Type is REG_DWORD; else 0 */
    LPCWSTR String;
} CLUSRES_PARAMETER;

/* The block passed to Open in place of the resource's registry key. */
typedef struct _CLUSRES_PARAMETERS {
    DWORD Size;   /* sizeof(CLUSRES_PARAMETERS) */
    DWORD Count;  /* entries in Parameters */
    const CLUSRES_PARAMETER *Parameters;
} CLUSRES_PARAMETERS;
typedef const CLUSRES_PARAMETERS *PCLUSRES_PARAMETERS;

/* TRUE if a and b are equal but for ASCII case (lstrcmpiW(a, b) == 0 for
 * ASCII text). Registry value names are case-insensitive: so are the
 * parameter names below. */
static inline int ClusResNameEqual(LPCWSTR a, LPCWSTR b) {
    for (;; a++, b++) {
        WCHAR x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (WCHAR)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (WCHAR)(y - 'A' + 'a');
        if (x != y)
            return 0;
        if (x == 0)
            return 1;
    }
}

/* The parameter named Name, or NULL. */
static inline const CLUSRES_PARAMETER *ClusResFindParameter(PCLUSRES_PARAMETERS Parameters,
                                                            LPCWSTR Name) {
    if (Parameters == NULL || Name == NULL)
        return NULL;
    for (DWORD i = 0; i < Parameters->Count; i++)
        if (ClusResNameEqual(Parameters->Parameters[i].Name, Name))
            return &Parameters->Parameters[i];
    return NULL;
}

/* ResUtilGetDwordValue with the HKEY replaced: *OutValue is the REG_DWORD
 * named Name, or DefaultValue if there is none (ERROR_SUCCESS either way).
 * ERROR_INVALID_DATATYPE (with DefaultValue) if it is a REG_SZ;
 * ERROR_INVALID_PARAMETER if OutValue is NULL. */
static inline DWORD ClusResGetDwordValue(PCLUSRES_PARAMETERS Parameters, LPCWSTR Name,
                                         LPDWORD OutValue, DWORD DefaultValue) {
    if (OutValue == NULL)
        return ERROR_INVALID_PARAMETER;
    *OutValue = DefaultValue;
    const CLUSRES_PARAMETER *p = ClusResFindParameter(Parameters, Name);
    if (p == NULL)
        return ERROR_SUCCESS;
    if (p->Type != REG_DWORD)
        return ERROR_INVALID_DATATYPE;
    *OutValue = p->Dword;
    return ERROR_SUCCESS;
}

/* ResUtilGetSzValue with the HKEY replaced: the value named Name as text,
 * or NULL if there is none. Unlike Windows' it is not a copy: it is valid
 * until Close returns, and is not freed. */
static inline LPCWSTR ClusResGetSzValue(PCLUSRES_PARAMETERS Parameters, LPCWSTR Name) {
    const CLUSRES_PARAMETER *p = ClusResFindParameter(Parameters, Name);
    return p == NULL ? NULL : p->String;
}

/* ---- the entry points ------------------------------------------------------ */

typedef RESID(WINAPI *POPEN_ROUTINE)(LPCWSTR ResourceName, PCLUSRES_PARAMETERS ResourceKey,
                                     RESOURCE_HANDLE ResourceHandle);
typedef VOID(WINAPI *PCLOSE_ROUTINE)(RESID ResourceId);
typedef DWORD(WINAPI *PONLINE_ROUTINE)(RESID ResourceId, LPHANDLE EventHandle);
typedef DWORD(WINAPI *POFFLINE_ROUTINE)(RESID ResourceId);
typedef VOID(WINAPI *PTERMINATE_ROUTINE)(RESID ResourceId);
typedef BOOL(WINAPI *PLOOKS_ALIVE_ROUTINE)(RESID ResourceId);
typedef BOOL(WINAPI *PIS_ALIVE_ROUTINE)(RESID ResourceId);
typedef VOID(WINAPI *PQUORUM_RESOURCE_LOST)(RESOURCE_HANDLE Resource);
typedef DWORD(WINAPI *PARBITRATE_ROUTINE)(RESID ResourceId,
                                          PQUORUM_RESOURCE_LOST LostQuorumResource);
typedef DWORD(WINAPI *PRELEASE_ROUTINE)(RESID ResourceId);
typedef DWORD(WINAPI *PRESOURCE_CONTROL_ROUTINE)(RESID ResourceId, DWORD ControlCode,
                                                 PVOID InBuffer, DWORD InBufferSize,
                                                 PVOID OutBuffer, DWORD OutBufferSize,
                                                 LPDWORD BytesReturned);
typedef DWORD(WINAPI *PRESOURCE_TYPE_CONTROL_ROUTINE)(LPCWSTR ResourceTypeName, DWORD ControlCode,
                                                      PVOID InBuffer, DWORD InBufferSize,
                                                      PVOID OutBuffer, DWORD OutBufferSize,
                                                      LPDWORD BytesReturned);

/* ---- the function table ---------------------------------------------------- */

#define CLRES_VERSION_V1_00 0x100u

typedef struct CLRES_V1_FUNCTIONS {
    POPEN_ROUTINE Open;
    PCLOSE_ROUTINE Close;
    PONLINE_ROUTINE Online;
    POFFLINE_ROUTINE Offline;
    PTERMINATE_ROUTINE Terminate;
    PLOOKS_ALIVE_ROUTINE LooksAlive;
    PIS_ALIVE_ROUTINE IsAlive;
    PARBITRATE_ROUTINE Arbitrate;                   /* LINUX (7): never called */
    PRELEASE_ROUTINE Release;                       /* never called */
    PRESOURCE_CONTROL_ROUTINE ResourceControl;      /* never called */
    PRESOURCE_TYPE_CONTROL_ROUTINE ResourceTypeControl; /* never called */
} CLRES_V1_FUNCTIONS, *PCLRES_V1_FUNCTIONS;

/* LINUX (7): the union has the version-1 member only. */
typedef struct CLRES_FUNCTION_TABLE {
    DWORD TableSize;
    DWORD Version;
    union {
        CLRES_V1_FUNCTIONS V1Functions;
    };
} CLRES_FUNCTION_TABLE, *PCLRES_FUNCTION_TABLE;

#define CLRES_V1_FUNCTION_SIZE (sizeof(DWORD) * 2 + sizeof(CLRES_V1_FUNCTIONS))

CLUSWORKER_STATIC_ASSERT(sizeof(CLUSTER_RESOURCE_STATE) == 4, "CLUSTER_RESOURCE_STATE is 32 bits");
CLUSWORKER_STATIC_ASSERT(offsetof(RESOURCE_STATUS, WaitHint) == 8 &&
                             offsetof(RESOURCE_STATUS, EventHandle) ==
                                 (sizeof(void *) == 8 ? 16 : 12),
                         "RESOURCE_STATUS: state, checkpoint, wait hint, event handle");
CLUSWORKER_STATIC_ASSERT(offsetof(CLRES_FUNCTION_TABLE, V1Functions) == 8,
                         "the functions follow TableSize and Version");
CLUSWORKER_STATIC_ASSERT(sizeof(CLRES_FUNCTION_TABLE) == CLRES_V1_FUNCTION_SIZE,
                         "a version-1 table is CLRES_V1_FUNCTION_SIZE bytes");
CLUSWORKER_STATIC_ASSERT(sizeof(CLUSRES_PARAMETERS) == 8 + sizeof(void *),
                         "CLUSRES_PARAMETERS: size, count, pointer");

/* Declares a version-1 table named _Name whose entry points are
 * _Prefix##Open, _Prefix##Close, ..., _Prefix##IsAlive, as resapi.h's
 * macro of the same name does (pass NULL for the four optional ones). */
#define CLRES_V1_FUNCTION_TABLE(_Name, _Version, _Prefix, _Arbitrate, _Release, _ResControl,    \
                                _ResTypeControl)                                                 \
    CLRES_FUNCTION_TABLE _Name = {CLRES_V1_FUNCTION_SIZE,                                        \
                                  _Version,                                                      \
                                  {{_Prefix##Open, _Prefix##Close, _Prefix##Online,              \
                                    _Prefix##Offline, _Prefix##Terminate, _Prefix##LooksAlive,   \
                                    _Prefix##IsAlive, _Arbitrate, _Release, _ResControl,         \
                                    _ResTypeControl}}}

/* The Startup entry point, exported by name from the library. */
typedef DWORD(WINAPI *PSTARTUP_ROUTINE)(LPCWSTR ResourceType, DWORD MinVersionSupported,
                                        DWORD MaxVersionSupported,
                                        PSET_RESOURCE_STATUS_ROUTINE SetResourceStatus,
                                        PLOG_EVENT_ROUTINE LogEvent,
                                        PCLRES_FUNCTION_TABLE *FunctionTable);

/* ---- logging helper (LINUX (3)) ------------------------------------------ */

/* Formats Format and its arguments with vsnprintf (UTF-8 in, at most 1023
 * bytes kept), converts the text to UTF-16 and calls LogEvent with it. A
 * NULL LogEvent does nothing. */
static inline void ClusResLogEventf(PLOG_EVENT_ROUTINE LogEvent, RESOURCE_HANDLE ResourceHandle,
                                    LOG_LEVEL LogLevel, const char *Format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static inline void ClusResLogEventf(PLOG_EVENT_ROUTINE LogEvent, RESOURCE_HANDLE ResourceHandle,
                                    LOG_LEVEL LogLevel, const char *Format, ...) {
    char text[1024];
    WCHAR wide[1024];
    va_list args;
    size_t n = 0;
    if (LogEvent == NULL || Format == NULL)
        return;
    va_start(args, Format);
    vsnprintf(text, sizeof text, Format, args);
    va_end(args);
    /* UTF-8 to UTF-16; a malformed byte becomes U+FFFD. */
    for (size_t i = 0; text[i] != 0 && n + 2 < sizeof wide / sizeof wide[0];) {
        unsigned char c = (unsigned char)text[i];
        uint32_t cp;
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0) {
            cp = 0xFFFD;
            len = 1;
        } else {
            cp = len == 1 ? c : (uint32_t)(c & (0x7F >> len));
            for (int k = 1; k < len; k++) {
                unsigned char d = (unsigned char)text[i + k];
                if ((d >> 6) != 2) {
                    cp = 0xFFFD;
                    len = k;
                    break;
                }
                cp = (cp << 6) | (d & 0x3F);
            }
        }
        i += (size_t)len;
        if (cp >= 0x10000 && cp <= 0x10FFFF) {
            cp -= 0x10000;
            wide[n++] = (WCHAR)(0xD800 + (cp >> 10));
            wide[n++] = (WCHAR)(0xDC00 + (cp & 0x3FF));
        } else {
            wide[n++] = (WCHAR)(cp > 0x10FFFF ? 0xFFFD : cp);
        }
    }
    wide[n] = 0;
    LogEvent(ResourceHandle, LogLevel, wide);
}

#ifdef __cplusplus
}
#endif

#endif /* CLUSWORKER_RESAPI_H */
