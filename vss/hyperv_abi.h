/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Hyper-V VSS message between the hv_utils driver and user space, as in
 * the kernel's include/uapi/linux/hyperv.h (struct hv_vss_msg): 12 packed
 * bytes. tests/unit/test_vss_hyperv.c checks every size, offset and value
 * against the system header.
 */
#ifndef SB_VSS_HYPERV_ABI_H
#define SB_VSS_HYPERV_ABI_H

#include <stdint.h>

#define HV_VSS_OP_CREATE 0
#define HV_VSS_OP_DELETE 1
#define HV_VSS_OP_HOT_BACKUP 2
#define HV_VSS_OP_GET_DM_INFO 3
#define HV_VSS_OP_BU_COMPLETE 4
#define HV_VSS_OP_FREEZE 5
#define HV_VSS_OP_THAW 6
#define HV_VSS_OP_AUTO_RECOVER 7
#define HV_VSS_OP_REGISTER 128  /* legacy, no reply */
#define HV_VSS_OP_REGISTER1 129 /* with handshake: the kernel answers a u32 */

#define HV_VSS_S_OK 0x00000000u
#define HV_VSS_E_FAIL 0x80004005u

struct hv_vss_message {
	union {
		struct {
			uint8_t operation;
			uint8_t reserved[7];
		} __attribute__((packed)) hdr;
		int32_t error; /* the reply overwrites bytes 0..3 */
	} __attribute__((packed));
	uint32_t flags;
} __attribute__((packed));

_Static_assert(sizeof(struct hv_vss_message) == 12, "hv_vss_msg is 12 bytes");

#endif
