#ifndef S3BACKUP_CCRYPTO_SHIM_H
#define S3BACKUP_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#endif
