// Labelled form controls: every input has a visible label tied to it, an optional hint, and the
// API's problem for that field shown beside it.
import { useId, type ChangeEvent, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import type { Named } from './format.ts';

interface FieldProps {
  label: string;
  hint?: ReactNode;
  problem?: string | null;
  className?: string;
}

/** The label, hint and problem around one control, and the attributes that tie them to it. */
function FieldFrame({ label, hint, problem, className, control }: FieldProps & { control(id: string, aria: ControlAria): ReactNode }) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {control(id, { 'aria-invalid': problem ? true : undefined, 'aria-describedby': describedBy || undefined })}
      {problem ? (
        <p className="field-problem" id={`${id}-problem`}>
          {problem}
        </p>
      ) : null}
    </div>
  );
}

interface ControlAria {
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

export function TextField({
  label,
  hint,
  problem,
  className,
  value,
  onValue,
  ...rest
}: FieldProps & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> & { value: string; onValue(value: string): void }) {
  return (
    <FieldFrame
      {...{ label, hint, problem, className }}
      control={(id, aria) => <input id={id} value={value} onChange={(e: ChangeEvent<HTMLInputElement>) => onValue(e.target.value)} {...aria} {...rest} />}
    />
  );
}

export function TextArea({
  label,
  hint,
  problem,
  className,
  value,
  onValue,
  ...rest
}: FieldProps & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onChange'> & { value: string; onValue(value: string): void }) {
  return (
    <FieldFrame {...{ label, hint, problem, className }} control={(id, aria) => <textarea id={id} value={value} onChange={(e) => onValue(e.target.value)} {...aria} {...rest} />} />
  );
}

export function SelectField({
  label,
  hint,
  problem,
  className,
  value,
  onValue,
  options,
  empty,
  ...rest
}: FieldProps &
  Omit<SelectHTMLAttributes<HTMLSelectElement>, 'value' | 'onChange'> & {
    value: string;
    onValue(value: string): void;
    options: ReadonlyArray<Pick<Named, 'id' | 'title'>>;
    /** the text of a first, empty choice (`Any`), or none */
    empty?: string;
  }) {
  return (
    <FieldFrame
      {...{ label, hint, problem, className }}
      control={(id, aria) => (
        <select id={id} value={value} onChange={(e) => onValue(e.target.value)} {...aria} {...rest}>
          {empty !== undefined ? <option value="">{empty}</option> : null}
          {options.map((option) => (
            <option key={option.id} value={option.id}>
              {option.title}
            </option>
          ))}
        </select>
      )}
    />
  );
}

/** The API's problem for a field (`reason`, `scope.groups`), matched on the field's path. */
export function problemFor(problems: ReadonlyArray<{ field?: string; message: string }> | undefined, field: string): string | null {
  const found = problems?.find((p) => p.field === field || p.field?.startsWith(`${field}.`));
  return found ? found.message : null;
}

/** A select when the choices are known (the policy was readable), else a text box. */
export function ChoiceField(props: {
  label: string;
  value: string;
  onValue(value: string): void;
  options: ReadonlyArray<Pick<Named, 'id' | 'title'>>;
  empty: string;
  hint?: string;
  name?: string;
}) {
  const { options, empty, ...rest } = props;
  if (options.length > 0) return <SelectField {...rest} options={options} empty={empty} />;
  return <TextField {...rest} autoCapitalize="none" spellCheck={false} />;
}
