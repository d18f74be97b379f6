#ifndef S3BACKUP_CPOSTGRES_SHIM_H
#define S3BACKUP_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
