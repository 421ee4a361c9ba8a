/* The binary case form (DESIGN.md "The case language"), version 1.
 * The same cases as the text form, compact and versioned:
 *
 *   file    = "NVXC" version:u8 ncases:uv case*
 *   case    = name:str profile:str line:uv nchecks:uv str* nreq:uv str*
 *             nops:uv op*
 *   op      = opcode:uv line:uv operand*  [OP_GUEST: nblk:uv op*]
 *             nexpect:uv expect*          (top-level ops only)
 *   operand = per letter of ops.def: t -> str; o -> present:u8 [expr];
 *             f, e, n -> expr
 *   expect  = line:uv col:uv nalt:u8 outcome*
 *   outcome = kind:u8 then  fault: vector:u8 has_code:u8 [expr];
 *             exit, entry_fail: expr have:uv expr per bit of have;
 *             fail_valid, abort, value: expr;  ok, fail_invalid: -
 *   expr    = ntok:uv tok*;  tok = TOK_HEX uv | TOK_DEC uv | TOK_WORD str
 *             | one of ( ) ~ - | & ^ +  | '<' for "<<" | '>' for ">>"
 *   str     = 0 len:uv byte*  (a new string, appended to the file's
 *             table) | k:uv (k > 0: the table's string k-1)
 *   uv      = unsigned LEB128, at most 10 bytes
 *
 * Opcodes are enum op_id (ops.def only ever appends); rule IDs, features
 * and templates travel by name, so files outlive catalogue growth.
 * Expressions keep their spelling: a number becomes TOK_HEX/TOK_DEC only
 * when printing it back gives the same text. */
#ifndef NESTVMX_CASE_BIN_H
#define NESTVMX_CASE_BIN_H

#define CASEBIN_MAGIC "NVXC"
#define CASEBIN_VERSION 1

enum { TOK_HEX = 1, TOK_DEC = 2, TOK_WORD = 3 };

#define CASEBIN_MAX_STR 4096      /* = CASE_MAX_LINE: no text line is longer */
#define CASEBIN_MAX_STRINGS 65536
#define CASEBIN_MAX_TOKENS 1024

#endif
