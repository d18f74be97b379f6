#ifndef S3BACKUP_CCURL_SHIM_H
#define S3BACKUP_CCURL_SHIM_H
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>

// curl_global_init must run once, before any other thread uses libcurl, and S3 and Mail both make handles.
// https://curl.se/libcurl/c/curl_global_init.html
// A header has no storage of its own, so the once-guard is a weak definition: every module that calls
// s3b_global_init emits one, and the linker keeps a single one for the process.
// https://gcc.gnu.org/onlinedocs/gcc/Common-Variable-Attributes.html#index-weak-variable-attribute
__attribute__((weak)) pthread_once_t s3b_global_once = PTHREAD_ONCE_INIT;
__attribute__((weak)) CURLcode s3b_global_code = CURLE_OK;

static inline void s3b_global_init_once(void) {
    // Every handle sets CURLOPT_NOSIGNAL, so libcurl no longer ignores SIGPIPE around its writes, and a peer that
    // closed its socket could kill the process with it. https://curl.se/libcurl/c/CURLOPT_NOSIGNAL.html
    signal(SIGPIPE, SIG_IGN);
    s3b_global_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/// Initialises libcurl the first time any module of the process asks (later calls wait for it and return the same
/// result): call it before creating an easy handle.
static inline CURLcode s3b_global_init(void) {
    pthread_once(&s3b_global_once, s3b_global_init_once);
    return s3b_global_code;
}

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed wrapper per
// argument kind. https://curl.se/libcurl/c/curl_easy_setopt.html

static inline CURLcode s3b_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode s3b_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode s3b_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode s3b_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode s3b_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }

typedef size_t (*s3b_data_callback)(char *buffer, size_t size, size_t nitems, void *context);
typedef int (*s3b_seek_callback)(void *context, curl_off_t offset, int origin);
typedef int (*s3b_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode s3b_setopt_data_callback(CURL *h, CURLoption o, s3b_data_callback f) { return curl_easy_setopt(h, o, f); }
static inline CURLcode s3b_setopt_seek_callback(CURL *h, s3b_seek_callback f) { return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, f); }
static inline CURLcode s3b_setopt_progress_callback(CURL *h, s3b_progress_callback f) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f); }

static inline CURLcode s3b_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }

/// Return values of the read callback that are macros Swift cannot see.
static inline size_t s3b_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline int s3b_seekfunc_ok(void) { return CURL_SEEKFUNC_OK; }
static inline int s3b_seekfunc_cantseek(void) { return CURL_SEEKFUNC_CANTSEEK; }

#endif
