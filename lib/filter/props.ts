/**
 * A property value on the wire: a string or an integer (integers kept exact as bigint). §3.2
 *
 * @example
 * const values: ReadonlyArray<PropValue> = ['1', 1n]; // string "1" and integer 1 are different values
 */
export type PropValue = string | bigint;

/**
 * Service properties: key -> distinct values, in order of first appearance; keys with no values never appear.
 *
 * @example
 * const props: Props = new Map([['name', ['foo']], ['port', [4711n]]]);
 */
export type Props = ReadonlyMap<string, readonly PropValue[]>;
