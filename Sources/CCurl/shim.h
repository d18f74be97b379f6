#ifndef S3BACKUP_CCURL_SHIM_H
#define S3BACKUP_CCURL_SHIM_H
#include <curl/curl.h>

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
static inline CURLcode s3b_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }

/// Return values of the read callback that are macros Swift cannot see.
static inline size_t s3b_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline int s3b_seekfunc_ok(void) { return CURL_SEEKFUNC_OK; }
static inline int s3b_seekfunc_cantseek(void) { return CURL_SEEKFUNC_CANTSEEK; }

#endif
