import '../shared/styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { LANGUAGE } from '../shared/i18n.js';
import { LoginGate } from '../shared/LoginGate.js';
import { PrivacyCentre } from './PrivacyCentre.js';

document.documentElement.lang = LANGUAGE;
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LoginGate page="privacy">
      <PrivacyCentre />
    </LoginGate>
  </StrictMode>,
);
