/**
 * The consent page's "Use app on" site picker, in the two forms the world can choose (`settings.sitePicker`):
 *
 * - `react-select` (default): the real screen's control, an Atlaskit React-Select (atlassian-oauth.md §2: placeholder
 *   "Choose a site", options with ids `react-select-2-option-N`, inside `div.site-selector`). Imitated with plain inline
 *   JS and no framework: an `<input role="combobox">` labelled "Use app on"; the menu (`role="listbox"`,
 *   `react-select-2-listbox`) exists in the DOM only while open; typing filters the options (case-insensitive
 *   substring, React-Select's default filter); the mouse (press on the control, click an option) and the keyboard
 *   (ArrowDown/ArrowUp open and move, Enter or Tab chooses, Escape closes, Space opens on an empty input) both work;
 *   the chosen site is shown as the single value and travels in a hidden `site` input like React-Select's `name`
 *   prop. Behaviour follows React-Select 5's defaults (open on click, not on focus; close on choosing and on blur,
 *   which clears the typed text); the class names (`site-select__…`) are the simulator's own.
 * - `native`: a `<select id="site-select">` whose first, disabled option is "Choose a site".
 *
 * Both call the page's `siteChanged(cloudId)` when a site is chosen, so the blocking messages and Accept work the same.
 */
import { esc } from '../pages.ts';

export type SitePickerKind = 'react-select' | 'native';

export interface PickerSite {
  /** cloudId (the form value) */
  value: string;
  /** host name shown to the user */
  label: string;
}

/** React-Select's instance id on the real screen (atlassian-oauth.md §2: `react-select-2-option-N`). */
const RS = 'react-select-2';

export const SITE_PICKER_CSS = `
.site-select__container{position:relative;margin:6px 0 12px}
.site-select__control{display:flex;align-items:center;min-height:38px;border:2px solid #dfe1e6;border-radius:3px;background:#fafbfc;cursor:default}
.site-select__control--is-focused{border-color:#4c9aff;background:#fff}
.site-select__value-container{display:grid;flex:1;align-items:center;padding:2px 8px;overflow:hidden}
.site-select__placeholder,.site-select__single-value{grid-area:1/1/2/3;white-space:nowrap}
.site-select__placeholder{color:#7a869a}
.site-select__input-container{grid-area:1/1/2/3;display:inline-grid;visibility:visible}
.site-select__input-container::after{content:attr(data-value) " ";visibility:hidden;white-space:pre;grid-area:1/2}
input.site-select__input{grid-area:1/2;display:block;min-width:2px;width:100%;margin:0;padding:0;border:0;outline:0;background:transparent;font:inherit;color:inherit}
.site-select__indicator{padding:8px;color:#6b778c}
.site-select__menu{position:absolute;top:100%;left:0;right:0;z-index:1;margin-top:4px;background:#fff;border-radius:3px;box-shadow:0 4px 8px rgba(9,30,66,.25)}
.site-select__menu-list{max-height:300px;overflow-y:auto;padding:4px 0}
.site-select__option{padding:8px 12px;cursor:default}
.site-select__option--is-focused{background:#f4f5f7}
.site-select__option--is-selected{background:#deebff}
.site-select__menu-notice{padding:8px 12px;color:#7a869a;text-align:center}
.a11y-text{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/** The picker's markup and its script (run after the page's own `siteChanged` is defined). */
export function sitePicker(kind: SitePickerKind, sites: PickerSite[], chosen?: string): { html: string; script: string } {
  return kind === 'native' ? nativeSelect(sites, chosen) : reactSelect(sites, chosen);
}

function nativeSelect(sites: PickerSite[], chosen?: string): { html: string; script: string } {
  const options = sites
    .map((s) => `<option value="${esc(s.value)}"${s.value === chosen ? ' selected' : ''}>${esc(s.label)}</option>`)
    .join('\n');
  return {
    html: `<label for="site-select">Use app on</label>
<select id="site-select" name="site" form="consent-form">
<option value=""${chosen ? '' : ' selected'} disabled>Choose a site</option>
${options}
</select>`,
    script: `(function(){var s=document.getElementById('site-select');
s.addEventListener('change',function(){siteChanged(s.value);});})();`,
  };
}

function reactSelect(sites: PickerSite[], chosen?: string): { html: string; script: string } {
  const picked = sites.find((s) => s.value === chosen);
  const html = `<label id="${RS}-label" for="${RS}-input">Use app on</label>
<div class="site-select__container" id="site-select">
<span id="${RS}-live-region" class="a11y-text"></span>
<span aria-live="polite" aria-atomic="false" aria-relevant="additions text" role="log" class="a11y-text" id="${RS}-a11y"></span>
<div class="site-select__control" id="${RS}-control">
<div class="site-select__value-container">
<div class="site-select__placeholder" id="${RS}-placeholder"${picked ? ' hidden' : ''}>Choose a site</div>
<div class="site-select__single-value" id="${RS}-single-value"${picked ? '' : ' hidden'}>${picked ? esc(picked.label) : ''}</div>
<div class="site-select__input-container" data-value="">
<input class="site-select__input" id="${RS}-input" type="text" role="combobox" tabindex="0" autocapitalize="none" autocomplete="off" autocorrect="off" spellcheck="false" aria-autocomplete="list" aria-expanded="false" aria-haspopup="true" aria-labelledby="${RS}-label" aria-describedby="${RS}-placeholder" value="">
</div>
</div>
<div class="site-select__indicators"><div class="site-select__indicator site-select__dropdown-indicator" aria-hidden="true"><svg width="24" height="24" viewBox="0 0 24 24" focusable="false" role="presentation"><path d="M8.292 10.293a1.009 1.009 0 000 1.419l2.939 2.965c.218.215.5.322.779.322s.556-.107.769-.322l2.93-2.955a1.01 1.01 0 000-1.419.987.987 0 00-1.406 0l-2.298 2.317-2.307-2.327a.99.99 0 00-1.406 0z" fill="currentColor"/></svg></div></div>
</div>
<input type="hidden" name="site" form="consent-form" value="${picked ? esc(picked.value) : ''}">
</div>`;
  // JSON inside a <script>: no "</" can end the element early
  const data = JSON.stringify(sites.map((s) => ({ value: s.value, label: s.label }))).replace(/</g, '\\u003c');
  const script = `(function(){
var ID='${RS}',sites=${data},chosen=${JSON.stringify(picked?.value ?? null)};
var box=document.getElementById('site-select'),control=document.getElementById(ID+'-control'),input=document.getElementById(ID+'-input'),
placeholder=document.getElementById(ID+'-placeholder'),single=document.getElementById(ID+'-single-value'),
hidden=box.querySelector('input[type=hidden]'),live=document.getElementById(ID+'-a11y'),menu=null,open=false,focused=-1,focusedIn=false,openAfterFocus=false;
function shown(){var q=input.value.toLowerCase();return sites.filter(function(s){return !q||s.label.toLowerCase().indexOf(q)>=0||s.value.toLowerCase().indexOf(q)>=0;});}
function render(){
  if(menu){menu.remove();menu=null;}
  input.setAttribute('aria-expanded',String(open));
  if(!open){input.removeAttribute('aria-controls');input.removeAttribute('aria-activedescendant');return;}
  var list=shown();
  menu=document.createElement('div');menu.className='site-select__menu';
  menu.addEventListener('mousedown',function(e){e.preventDefault();});
  var ml=document.createElement('div');ml.className='site-select__menu-list';ml.id=ID+'-listbox';ml.setAttribute('role','listbox');ml.setAttribute('aria-multiselectable','false');
  if(!list.length){var n=document.createElement('div');n.className='site-select__menu-notice site-select__menu-notice--no-options';n.textContent='No options';ml.appendChild(n);}
  list.forEach(function(s,i){
    var o=document.createElement('div');o.id=ID+'-option-'+i;o.setAttribute('role','option');o.tabIndex=-1;
    o.setAttribute('aria-selected',String(s.value===chosen));o.setAttribute('aria-disabled','false');
    o.className='site-select__option'+(i===focused?' site-select__option--is-focused':'')+(s.value===chosen?' site-select__option--is-selected':'');
    o.textContent=s.label;
    o.addEventListener('mousemove',function(){if(focused!==i){focused=i;refocus();}});
    o.addEventListener('click',function(){choose(s);});
    ml.appendChild(o);
  });
  menu.appendChild(ml);box.insertBefore(menu,hidden);
  input.setAttribute('aria-controls',ID+'-listbox');
  if(focused>=0&&list[focused])input.setAttribute('aria-activedescendant',ID+'-option-'+focused);else input.removeAttribute('aria-activedescendant');
}
// hovering moves the focus as React re-renders it: the same option nodes, their classes and the active descendant
// updated in place (a menu rebuilt on every hover would detach the option under the pointer)
function refocus(){if(!menu)return;
  Array.prototype.forEach.call(menu.querySelectorAll('[role=option]'),function(o,i){o.classList.toggle('site-select__option--is-focused',i===focused);});
  if(focused>=0)input.setAttribute('aria-activedescendant',ID+'-option-'+focused);else input.removeAttribute('aria-activedescendant');}
function openMenu(which){var list=shown(),sel=-1;list.forEach(function(s,i){if(s.value===chosen)sel=i;});
  focused=list.length?(sel>=0?sel:(which==='last'?list.length-1:0)):-1;open=true;render();}
function closeMenu(){open=false;focused=-1;render();}
function sync(){var typing=!!input.value;input.parentNode.setAttribute('data-value',input.value);placeholder.hidden=typing||!!chosen;single.hidden=typing||!chosen;}
function setInput(v){input.value=v;sync();}
function choose(s){chosen=s.value;single.textContent=s.label;hidden.value=s.value;
  setInput('');closeMenu();live.textContent='option '+s.label+', selected.';siteChanged(s.value);}
control.addEventListener('mousedown',function(e){
  var onInput=e.target===input;
  if(!focusedIn){openAfterFocus=!open;input.focus();}
  else if(!open)openMenu('first');
  else if(!onInput)closeMenu();
  if(!onInput)e.preventDefault();
});
input.addEventListener('focus',function(){focusedIn=true;control.classList.add('site-select__control--is-focused');if(openAfterFocus)openMenu('first');openAfterFocus=false;});
input.addEventListener('blur',function(){focusedIn=false;control.classList.remove('site-select__control--is-focused');setInput('');closeMenu();});
input.addEventListener('input',function(){sync();
  var list=shown();focused=list.length?0:-1;open=true;render();});
input.addEventListener('keydown',function(e){
  var list=shown();
  switch(e.key){
  case 'ArrowDown':if(!open)openMenu('first');else if(list.length){focused=(focused+1)%list.length;render();}e.preventDefault();break;
  case 'ArrowUp':if(!open)openMenu('last');else if(list.length){focused=(focused-1+list.length)%list.length;render();}e.preventDefault();break;
  case 'Home':if(open&&list.length){focused=0;render();e.preventDefault();}break;
  case 'End':if(open&&list.length){focused=list.length-1;render();e.preventDefault();}break;
  case 'Enter':if(open){if(list[focused])choose(list[focused]);e.preventDefault();}break;
  case 'Tab':if(open&&list[focused])choose(list[focused]);break;
  case 'Escape':if(open){setInput('');closeMenu();e.preventDefault();}break;
  case ' ':if(input.value)break;if(!open)openMenu('first');else if(list[focused])choose(list[focused]);e.preventDefault();break;
  }
});
})();`;
  return { html, script };
}
