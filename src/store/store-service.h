/* services (store/service.c). */
#ifndef ECSIM_STORE_SERVICE_H
#define ECSIM_STORE_SERVICE_H

#endif
